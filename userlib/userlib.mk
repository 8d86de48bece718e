# SPDX-License-Identifier: MIT
#
# The C core (userlib/c), the C++ IOKit library over it, their examples and
# tests; run from the repository's top directory by scripts/build-userlib.sh:
#
#   make -f userlib/userlib.mk [O=build/userlib] lib examples
#   make -f userlib/userlib.mk TEST_BIN=<path> tests
#   make -f userlib/userlib.mk PREFIX=/usr/local [LIBDIR=..] [DESTDIR=..] install
#   make -f userlib/userlib.mk PREFIX=/usr/local [LIBDIR=..] [DESTDIR=..] uninstall
#
# The C core is libiobmd.so.1 (its version script, userlib/c/libiobmd.map,
# exports only iobmd_*) and libiobmd.a; the C++ layer, whose every kernel
# command is a call of the C core, is libiobmd++.so.1 (linked against
# libiobmd.so.1) and libiobmd++.a.  Objects are compiled once, position
# independent, with hidden visibility (only IOBMD_API is exported from the
# C++ library); the test program links both .a and GoogleTest (statically,
# unless TEST_STATIC=), the examples link libiobmd++.so.  The project's
# checks make any compiler warning an error (WERROR=-Werror).

O ?= build/userlib
CXX ?= g++
CC ?= gcc
AR ?= ar

# The release, from the one version source (VERSION at the top): the
# libraries' file names, iobmd.pc, iobmd++.pc and the CMake package's
# version.  The soname is its major number.
VERSION := $(strip $(shell cat VERSION))
SOVERSION := $(word 1,$(subst ., ,$(VERSION)))
C_VERSION := $(VERSION)
PKG_DEFS := -DIOBMD_PKG_VERSION='"$(VERSION)"' \
	-DIOBMD_PKG_MAJOR=$(SOVERSION) \
	-DIOBMD_PKG_MINOR=$(word 2,$(subst ., ,$(VERSION)))

# Empty counts as unset (the top Makefile passes them on as they are).
PREFIX := $(or $(PREFIX),/usr/local)
LIBDIR := $(or $(LIBDIR),$(PREFIX)/lib)
INCLUDEDIR := $(or $(INCLUDEDIR),$(PREFIX)/include)
DESTDIR ?=

TEST_BIN ?= $(O)/tests/iobmd_userlib_test
# The userspace-driver tests (a device through VFIO): a program of their own,
# beside TEST_BIN, that the selftest runner starts only behind an IOMMU.
VFIO_TEST_BIN ?= $(dir $(TEST_BIN))iobmd_vfio_test

# What a packager or a sanitizer build sets (CPPFLAGS, CXXFLAGS, LDFLAGS,
# DESTDIR) is honoured; the defaults build the library as released.
CXXFLAGS ?= -O2 -g
CFLAGS ?= -O2 -g
CPPFLAGS ?=
LDFLAGS ?=
# Warnings are errors only in the project's own checks
# (scripts/build-userlib.sh check passes WERROR=-Werror).
WERROR ?=
WARN := -Wall -Wextra -Wpedantic $(WERROR)
BASE_CXXFLAGS := -std=c++20 $(WARN) $(CPPFLAGS) $(CXXFLAGS)
# The test programs link statically (the guest has no GoogleTest);
# TEST_STATIC= links them dynamically, as AddressSanitizer needs.
TEST_STATIC ?= -static
# The control plane (src/control.cpp) speaks generic netlink through
# libnl-genl-3: shared for libiobmd.so, static for the test program.
NL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0)
NL_LIBS := $(shell pkg-config --libs libnl-genl-3.0)
NL_STATIC_LIBS := $(shell pkg-config --static --libs libnl-genl-3.0)
# The C core's headers: <iobmd/iobmd.h>, and the kernel ABI as it installs,
# <iobmd/uapi.h> (a copy of uapi/iobmd.h under $(O)/include).
C_INCLUDES := -Iuserlib/c/include -I$(O)/include
LIB_CFLAGS := -std=gnu11 $(WARN) $(CPPFLAGS) $(CFLAGS) -fPIC \
	-fvisibility=hidden $(C_INCLUDES) $(PKG_DEFS)
LIB_CXXFLAGS := $(BASE_CXXFLAGS) $(NL_CFLAGS) -fPIC -fvisibility=hidden \
	-fvisibility-inlines-hidden -Iuserlib/include $(C_INCLUDES) -Iuapi
USER_CXXFLAGS := $(BASE_CXXFLAGS) -Iuserlib/include

# The library: one file per class.  (control, the netlink control plane,
# links libnl-genl-3; see NL_* above.)
lib_classes := IOReturn task IOMemoryMap IOMemoryDescriptor \
	IOGeneralMemoryDescriptor IOBufferMemoryDescriptor IOSubMemoryDescriptor \
	IOMultiMemoryDescriptor IOInterleavedMemoryDescriptor IODeviceMemory \
	IOMapper IODMACommand IODmaBufMemoryDescriptor \
	control
# Files of the library that no header of its own goes with.
lib_internal := control_transport control_parse
lib_srcs := $(patsubst %,userlib/src/%.cpp,$(lib_classes) $(lib_internal))
lib_headers := $(patsubst %,userlib/include/iobmd/%.hpp,$(lib_classes) \
	types export iobmd)
lib_objs := $(patsubst userlib/src/%.cpp,$(O)/obj/lib/%.o,$(lib_srcs))
c_srcs := $(sort $(wildcard userlib/c/src/*.c))
c_objs := $(patsubst userlib/c/src/%.c,$(O)/obj/c/%.o,$(c_srcs))
c_headers := userlib/c/include/iobmd/iobmd.h userlib/c/include/iobmd/modern.hpp $(O)/include/iobmd/uapi.h
test_srcs := $(sort $(wildcard userlib/tests/*.cpp))
test_objs := $(patsubst userlib/tests/%.cpp,$(O)/obj/tests/%.o,$(test_srcs))
# userlib/tests/vfio/ with the suite's helpers and TAP main().
vfio_test_srcs := $(sort $(wildcard userlib/tests/vfio/*.cpp))
vfio_test_objs := $(patsubst userlib/tests/%.cpp,$(O)/obj/tests/%.o,$(vfio_test_srcs)) \
	$(O)/obj/tests/helpers.o $(O)/obj/tests/main.o
example_srcs := $(sort $(wildcard userlib/examples/*.cpp))
example_names := $(patsubst userlib/examples/%.cpp,%,$(example_srcs))
examples := $(addprefix $(O)/examples/iobmd_,$(example_names))
# Each example's main() renamed, so that the test program runs it too;
# but not those that drive a device through VFIO, which the test program's
# machines lack: the NVMe example runs in a program of its own beside
# TEST_BIN (userlib/tests/nvme/), which `make check` runs behind the IOMMU.
device_examples := nvme_vfio edu_driverkit edu_kext
example_test_objs := $(patsubst %,$(O)/obj/tests/example_%.o,\
	$(filter-out $(device_examples),$(example_names)))
NVME_TEST_BIN ?= $(dir $(TEST_BIN))iobmd_vfio_nvme_test
nvme_test_objs := $(O)/obj/tests/nvme/nvme_test.o $(O)/obj/tests/main.o \
	$(O)/obj/tests/example_nvme_vfio.o
# The edu example drivers (DriverKit and kext style): their own program
# too, run behind the IOMMU (a process holds the edu one way at a time).
EDU_TEST_BIN ?= $(dir $(TEST_BIN))iobmd_vfio_edu_examples_test
edu_test_objs := $(O)/obj/tests/edu/edu_examples_test.o $(O)/obj/tests/main.o \
	$(O)/obj/tests/example_edu_driverkit.o $(O)/obj/tests/example_edu_kext.o

# The C core: libiobmd.
C_SONAME := libiobmd.so.$(SOVERSION)
c_shlib := $(O)/libiobmd.so.$(C_VERSION)
# The C++ layer: libiobmd++.
SONAME := libiobmd++.so.$(SOVERSION)
shlib := $(O)/libiobmd++.so.$(VERSION)

all: lib examples
lib: $(c_shlib) $(O)/$(C_SONAME) $(O)/libiobmd.so $(O)/libiobmd.a \
	$(shlib) $(O)/$(SONAME) $(O)/libiobmd++.so $(O)/libiobmd++.a
examples: $(examples)
tests: $(TEST_BIN) $(VFIO_TEST_BIN) $(NVME_TEST_BIN) $(EDU_TEST_BIN)

$(O)/include/iobmd/uapi.h: uapi/iobmd.h
	@mkdir -p $(@D)
	cp $< $@

$(O)/obj/c/%.o: userlib/c/src/%.c $(O)/include/iobmd/uapi.h
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -MMD -MP -c -o $@ $<

$(c_shlib): $(c_objs) userlib/c/libiobmd.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(C_SONAME) \
		-Wl,--version-script=userlib/c/libiobmd.map \
		-Wl,--no-undefined -Wl,-z,defs -o $@ $(c_objs)

$(O)/$(C_SONAME): $(c_shlib)
	ln -sf $(notdir $<) $@

$(O)/libiobmd.so: $(O)/$(C_SONAME)
	ln -sf $(notdir $<) $@

$(O)/libiobmd.a: $(c_objs)
	rm -f $@
	$(AR) rcs $@ $(c_objs)

$(O)/obj/lib/%.o: userlib/src/%.cpp $(O)/include/iobmd/uapi.h
	@mkdir -p $(@D)
	$(CXX) $(LIB_CXXFLAGS) -MMD -MP -c -o $@ $<

# libiobmd++ finds libiobmd beside itself wherever both are (a program's
# own rpath serves only its direct dependencies); a packager installing
# into the system's directories may set CXXLIB_RPATH= .
CXXLIB_RPATH ?= -Wl,-rpath,'$$ORIGIN'
$(shlib): $(lib_objs) $(O)/libiobmd.so
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) \
		-Wl,--no-undefined -Wl,-z,defs -o $@ $(lib_objs) \
		-L$(O) -liobmd $(NL_LIBS) $(CXXLIB_RPATH)

$(O)/$(SONAME): $(shlib)
	ln -sf $(notdir $<) $@

$(O)/libiobmd++.so: $(O)/$(SONAME)
	ln -sf $(notdir $<) $@

$(O)/libiobmd++.a: $(lib_objs)
	rm -f $@
	$(AR) rcs $@ $(lib_objs)

$(O)/obj/examples/%.o: userlib/examples/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(USER_CXXFLAGS) -MMD -MP -c -o $@ $<

$(O)/examples/iobmd_%: $(O)/obj/examples/%.o $(O)/libiobmd++.so
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $< -L$(O) -liobmd++ \
		-Wl,-rpath,'$$ORIGIN/..'

# (libnl's headers: control_parse_test.cpp reads answers it makes.)
$(O)/obj/tests/%.o: userlib/tests/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(USER_CXXFLAGS) $(NL_CFLAGS) -Iuapi $(C_INCLUDES) -MMD -MP -c -o $@ $<

$(O)/obj/tests/example_%.o: userlib/examples/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(USER_CXXFLAGS) -Dmain=iobmd_example_$(subst -,_,$*) \
		-MMD -MP -c -o $@ $<

# The test programs: GoogleTest and libnl linked in.
define link_test_program
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $(TEST_STATIC) -pthread -o $@ \
		$(filter %.o,$^) $(O)/libiobmd++.a $(O)/libiobmd.a -lgtest \
		$(if $(TEST_STATIC),$(NL_STATIC_LIBS),$(NL_LIBS))
endef

$(TEST_BIN): $(test_objs) $(example_test_objs) $(O)/libiobmd++.a $(O)/libiobmd.a
	$(link_test_program)

$(VFIO_TEST_BIN): $(vfio_test_objs) $(O)/libiobmd++.a $(O)/libiobmd.a
	$(link_test_program)

$(NVME_TEST_BIN): $(nvme_test_objs) $(O)/libiobmd++.a $(O)/libiobmd.a
	$(link_test_program)

$(EDU_TEST_BIN): $(edu_test_objs) $(O)/libiobmd++.a $(O)/libiobmd.a
	$(link_test_program)

# The modern C++ face (userlib/c/include/iobmd/modern.hpp, header-only
# over the C core; its tests are userlib/tests/modern_*_test.cpp in
# TEST_BIN): C++17 consumers of the header are checked by compiling it
# alone as C++17.
modern_cxx17 := $(O)/obj/tests/modern_cxx17.o
$(modern_cxx17): userlib/c/include/iobmd/modern.hpp $(O)/include/iobmd/uapi.h
	@mkdir -p $(@D)
	$(CXX) -x c++ -std=c++17 $(WARN) $(CPPFLAGS) $(CXXFLAGS) $(C_INCLUDES) \
		-MMD -MP -c -o $@ $<
$(test_objs): | $(O)/include/iobmd/uapi.h
$(TEST_BIN): | $(modern_cxx17)

# --- install -------------------------------------------------------------
# pkg-config paths relative to ${prefix} when they lie under it; the CMake
# package finds the library and headers relative to its own directory.
pc_libdir := $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
pc_includedir := $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))
cmakedir := $(LIBDIR)/cmake/iobmd
cmake_to_libdir = $(shell realpath -m --relative-to=$(cmakedir) $(LIBDIR))
cmake_to_includedir = $(shell realpath -m --relative-to=$(cmakedir) $(INCLUDEDIR))

pc_sed = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(pc_libdir)|' \
	-e 's|@INCLUDEDIR@|$(pc_includedir)|' -e 's|@VERSION@|$(VERSION)|' \
	-e 's|@C_VERSION@|$(C_VERSION)|'

install: lib
	install -d $(DESTDIR)$(INCLUDEDIR)/iobmd $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(cmakedir)
	install -m 644 $(lib_headers) $(c_headers) $(DESTDIR)$(INCLUDEDIR)/iobmd/
	install -m 755 $(c_shlib) $(shlib) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(O)/libiobmd.a $(O)/libiobmd++.a $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(c_shlib)) $(DESTDIR)$(LIBDIR)/$(C_SONAME)
	ln -sf $(C_SONAME) $(DESTDIR)$(LIBDIR)/libiobmd.so
	ln -sf $(notdir $(shlib)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libiobmd++.so
	$(pc_sed) userlib/iobmd.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/iobmd.pc
	$(pc_sed) userlib/iobmd++.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/iobmd++.pc
	sed -e 's|@CMAKE_TO_LIBDIR@|$(cmake_to_libdir)|' \
		-e 's|@CMAKE_TO_INCLUDEDIR@|$(cmake_to_includedir)|' \
		-e 's|@C_SONAME@|$(C_SONAME)|' -e 's|@SONAME@|$(SONAME)|' \
		userlib/cmake/iobmdConfig.cmake.in > $(DESTDIR)$(cmakedir)/iobmdConfig.cmake
	sed -e 's|@VERSION@|$(VERSION)|' -e 's|@SOVERSION@|$(SOVERSION)|' \
		userlib/cmake/iobmdConfigVersion.cmake.in \
		> $(DESTDIR)$(cmakedir)/iobmdConfigVersion.cmake

# What install put there, and nothing else (the directories it made for
# itself when they are empty).
uninstall:
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/iobmd/,$(notdir $(lib_headers) $(c_headers)))
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,$(notdir $(c_shlib) $(shlib)) \
		$(C_SONAME) libiobmd.so $(SONAME) libiobmd++.so libiobmd.a libiobmd++.a \
		pkgconfig/iobmd.pc pkgconfig/iobmd++.pc)
	rm -f $(DESTDIR)$(cmakedir)/iobmdConfig.cmake \
		$(DESTDIR)$(cmakedir)/iobmdConfigVersion.cmake
	-rmdir $(DESTDIR)$(INCLUDEDIR)/iobmd $(DESTDIR)$(cmakedir) 2>/dev/null
	-rmdir $(DESTDIR)$(LIBDIR)/cmake $(DESTDIR)$(LIBDIR)/pkgconfig 2>/dev/null

-include $(modern_cxx17:.o=.d) $(c_objs:.o=.d) $(lib_objs:.o=.d) $(test_objs:.o=.d) $(example_test_objs:.o=.d) \
	$(vfio_test_objs:.o=.d) \
	$(nvme_test_objs:.o=.d) \
	$(edu_test_objs:.o=.d) \
	$(patsubst userlib/examples/%.cpp,$(O)/obj/examples/%.d,$(example_srcs))

.PHONY: all lib examples tests install uninstall
.DELETE_ON_ERROR:
