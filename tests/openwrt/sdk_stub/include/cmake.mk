# Stand-in for the OpenWrt SDK's cmake.mk (see ../rules.mk): a CMake package is
# configured for the target with the staging directory as its only root for libraries
# and headers, built with Ninja, and installed with DESTDIR=$(PKG_INSTALL_DIR) (the
# package's install recipe picks its files from there). The optimisation is the
# target's (TARGET_CFLAGS), not CMake's Release -O3.
PKG_INSTALL := 1
CMAKE_BINARY_DIR = $(PKG_BUILD_DIR)
CMAKE_SOURCE_DIR = $(PKG_BUILD_DIR)

define Build/Configure/Default
	mkdir -p $(CMAKE_BINARY_DIR)
	cd $(CMAKE_BINARY_DIR) && \
	CFLAGS="$(TARGET_CFLAGS)" CXXFLAGS="$(TARGET_CXXFLAGS)" LDFLAGS="$(TARGET_LDFLAGS)" \
	cmake --no-warn-unused-cli -G Ninja \
		-DCMAKE_SYSTEM_NAME=Linux \
		-DCMAKE_SYSTEM_PROCESSOR=mipsel \
		-DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_C_FLAGS_RELEASE=-DNDEBUG \
		-DCMAKE_CXX_FLAGS_RELEASE=-DNDEBUG \
		-DCMAKE_C_COMPILER=$(TARGET_CC) \
		-DCMAKE_CXX_COMPILER=$(TARGET_CXX) \
		-DCMAKE_C_COMPILER_LAUNCHER="$(CMAKE_C_COMPILER_LAUNCHER)" \
		-DCMAKE_CXX_COMPILER_LAUNCHER="$(CMAKE_CXX_COMPILER_LAUNCHER)" \
		-DCMAKE_EXE_LINKER_FLAGS:STRING="$(TARGET_LDFLAGS)" \
		-DCMAKE_FIND_ROOT_PATH="$(STAGING_DIR)/usr;$(TOOLCHAIN_ROOT_DIR)" \
		-DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER \
		-DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY \
		-DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY \
		-DCMAKE_STRIP=: \
		-DCMAKE_INSTALL_PREFIX=/usr \
		-DCMAKE_PREFIX_PATH=$(STAGING_DIR) \
		-DCMAKE_SKIP_RPATH=TRUE \
		$(CMAKE_OPTIONS) \
		$(CMAKE_SOURCE_DIR)
endef

define Build/Compile/Default
	ninja -C $(CMAKE_BINARY_DIR) $(1)
endef

define Build/Install/Default
	DESTDIR="$(PKG_INSTALL_DIR)" ninja -C $(CMAKE_BINARY_DIR) install
endef
