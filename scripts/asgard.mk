# Builds the asgard executable, the core library and the unit tests (invoked by scripts/build).
# make -f scripts/asgard.mk ROOT=<checkout> OUT=<build dir>
ROOT ?= .
OUT  ?= $(ROOT)/.asgard/build

CXX      ?= g++
CC       ?= gcc
CXXFLAGS ?= -O2 -g
CXXFLAGS += -std=c++17 -fPIC -Wall -Wextra -Werror -Wno-unused-parameter -MMD -MP \
            -I$(ROOT)/src -I/usr/include/postgresql
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -I$(ROOT)/src
LIBS     := -lpq -lhiredis -ljansson -lsimdjson -lre2 -pthread -lcurl -lssl -lcrypto -lz

CORE_SRCS := $(shell find $(ROOT)/src -name '*.cpp' -not -path '*/cli/*' | sort)
CLI_SRCS  := $(shell find $(ROOT)/src/cli -name '*.cpp' | sort)
MIGRATIONS := $(sort $(wildcard $(ROOT)/src/store/migrations/*.sql))
SEED_FILES := $(sort $(shell find $(ROOT)/src/seed_library -name '*.md'))

CORE_OBJS := $(patsubst $(ROOT)/src/%.cpp,$(OUT)/obj/%.o,$(CORE_SRCS)) $(OUT)/obj/migrations_embedded.o \
             $(OUT)/obj/seed_library_embedded.o
CLI_OBJS  := $(patsubst $(ROOT)/src/%.cpp,$(OUT)/obj/%.o,$(CLI_SRCS))

UNIT_SRCS := $(sort $(wildcard $(ROOT)/lua_free_tests/unit/test_*.c))
UNIT_CXX_SRCS := $(sort $(wildcard $(ROOT)/lua_free_tests/unit/test_*.cpp))
UNIT_BINS := $(patsubst $(ROOT)/lua_free_tests/unit/%.c,$(OUT)/unit/%,$(UNIT_SRCS)) \
             $(patsubst $(ROOT)/lua_free_tests/unit/%.cpp,$(OUT)/unit/%,$(UNIT_CXX_SRCS))

all: $(OUT)/asgard $(UNIT_BINS)

$(OUT)/libasgard_core.a: $(CORE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^   # afresh: a source that was removed leaves no object behind

$(OUT)/asgard: $(CLI_OBJS) $(OUT)/libasgard_core.a
	$(CXX) -o $@ $(CLI_OBJS) $(OUT)/libasgard_core.a $(LIBS)

$(OUT)/obj/%.o: $(ROOT)/src/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c -o $@ $<

$(OUT)/gen/migrations_embedded.cpp: $(MIGRATIONS) $(ROOT)/scripts/embed-migrations
	@mkdir -p $(dir $@)
	$(ROOT)/scripts/embed-migrations $(ROOT)/src/store/migrations > $@.tmp && mv $@.tmp $@

$(OUT)/gen/seed_library_embedded.cpp: $(SEED_FILES) $(ROOT)/scripts/embed-seed-library
	@mkdir -p $(dir $@)
	$(ROOT)/scripts/embed-seed-library $(ROOT)/src/seed_library > $@.tmp && mv $@.tmp $@

$(OUT)/obj/seed_library_embedded.o: $(OUT)/gen/seed_library_embedded.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c -o $@ $<

$(OUT)/obj/migrations_embedded.o: $(OUT)/gen/migrations_embedded.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c -o $@ $<

PROBES_OBJ := $(OUT)/obj/unit/core_probes.o
$(PROBES_OBJ): $(ROOT)/lua_free_tests/support/core_probes.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -I$(ROOT)/lua_free_tests/support -c -o $@ $<

$(OUT)/unit/%: $(ROOT)/lua_free_tests/unit/%.c $(OUT)/libasgard_core.a $(PROBES_OBJ)
	@mkdir -p $(dir $@)
	@mkdir -p $(OUT)/obj/unit
	$(CXX) -x c -std=c11 -O0 -g -Wall -Werror -I$(ROOT)/src -I$(ROOT)/lua_free_tests/support -o $(OUT)/obj/unit/$*.o -c $<
	$(CXX) -o $@ $(OUT)/obj/unit/$*.o $(PROBES_OBJ) $(OUT)/libasgard_core.a -lcmocka $(LIBS)

# Unit tests of core classes that have no C interface of their own (C++, still cmocka).
$(OUT)/unit/%: $(ROOT)/lua_free_tests/unit/%.cpp $(OUT)/libasgard_core.a
	@mkdir -p $(dir $@)
	@mkdir -p $(OUT)/obj/unit
	$(CXX) $(CXXFLAGS) -O0 -g -o $(OUT)/obj/unit/$*.o -c $<
	$(CXX) -o $@ $(OUT)/obj/unit/$*.o $(OUT)/libasgard_core.a -lcmocka $(LIBS)

-include $(CORE_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(PROBES_OBJ:.o=.d)

.PHONY: all
