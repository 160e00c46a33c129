# Stand-in for the OpenWrt SDK's rules.mk, written for tests/openwrt/package_makefile_test.sh:
# the variables and install commands a package Makefile uses, with the meanings the
# SDK gives them (OpenWrt's "Creating packages" documentation), for a target whose
# toolchain is Debian's mipsel cross compiler instead of the SDK's musl one.
# Set on the make command line: BUILD_DIR, STAGING_DIR.
INCLUDE_DIR := $(TOPDIR)/include
TARGET_CROSS := mipsel-linux-gnu-
TARGET_CC := $(TARGET_CROSS)gcc
TARGET_CXX := $(TARGET_CROSS)g++
TOOLCHAIN_ROOT_DIR := /usr/mipsel-linux-gnu
# The SDK's are -Os -pipe plus the target's -march/-mtune and soft float; only what
# Debian's hard-float glibc can link with is kept.
TARGET_CFLAGS := -Os -pipe
TARGET_CXXFLAGS := $(TARGET_CFLAGS)
TARGET_LDFLAGS := -L$(STAGING_DIR)/usr/lib -znow -zrelro
CP := cp -fpR
INSTALL_DIR := install -d -m0755
INSTALL_BIN := install -m0755
INSTALL_DATA := install -m0644
INSTALL_CONF := install -m0600
# The SDK's pkg-config answers from the staging directory only.
export PKG_CONFIG_LIBDIR := $(STAGING_DIR)/usr/lib/pkgconfig
export PKG_CONFIG_PATH := $(STAGING_DIR)/usr/lib/pkgconfig
