# Stand-in for the OpenWrt SDK's package.mk (see ../rules.mk): the package's directories,
# the default build steps, and BuildPackage, which here makes one make target per step
# so the test can run them one at a time:
#   openwrt-prepare openwrt-configure openwrt-compile openwrt-install  Build/<step>
#   openwrt-package PKG_ROOT=dir    Package/<name>/install into dir (the .ipk's tree)
#   openwrt-var VAR=name            prints a variable (DEPENDS, PKG_VERSION, ...)
PKG_BUILD_DIR ?= $(BUILD_DIR)/$(PKG_NAME)-$(PKG_VERSION)
PKG_INSTALL_DIR ?= $(PKG_BUILD_DIR)/ipkg-install

Build/Configure = $(call Build/Configure/Default)
Build/Compile = $(call Build/Compile/Default)
Build/Install = $(if $(PKG_INSTALL),$(call Build/Install/Default))

define BuildPackage
$(eval $(Package/$(1)))
.PHONY: openwrt-prepare openwrt-configure openwrt-compile openwrt-install openwrt-package openwrt-var
openwrt-prepare:
	$$(Build/Prepare)
openwrt-configure:
	$$(Build/Configure)
openwrt-compile:
	$$(Build/Compile)
openwrt-install:
	$$(Build/Install)
openwrt-package:
	$$(call Package/$(1)/install,$$(PKG_ROOT))
openwrt-var:
	@echo '$$($$(VAR))'
endef
