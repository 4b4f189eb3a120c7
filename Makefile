# Territory build. `make` builds build/territory; `make test` runs every test
# twice (plain, then under AddressSanitizer + UndefinedBehaviorSanitizer);
# `make run` runs the main job; `make fuzz`, `make lint`, `make format` and
# `make bench` do what they say. `make SANITIZER=address` builds the
# sanitizer variant into build/asan.

CC      ?= cc
ifeq ($(origin CC),default)
CC      := gcc
endif
B       ?= build
# Linked. The headers of LAZY_PKGS are used, but those libraries are
# loaded (dlopen) only where they are needed: libcurl when `territory
# digest` sends mail (cmd_digest.c), libmicrohttpd when `territory serve`
# starts (server.c), libzip when an .xlsx workbook is read (data.c).
# Linked, they and the TLS libraries under them cost every command, a model
# run too, tens of milliseconds of loading before main.
LAZY_PKGS := libcurl libmicrohttpd libzip
PKGS    := expat jansson sqlite3 libsodium zlib freexl
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter
ifneq ($(CI),)
WARN    += -Werror
endif
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
ALLCFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
            $(CFLAGS) -Iinclude -Isrc $(shell pkg-config --cflags $(PKGS) $(LAZY_PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null || \
             echo -lexpat -ljansson -lsqlite3 -lsodium -lz -lfreexl) -lcsv \
           -lm -lpthread
TESTLIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

ifeq ($(SANITIZER),address)
B       := build/asan
CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
           -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

# The browser app and the starter workspace are compiled in: the files
# web/assets.txt names become one generated C file (scripts/embed-assets.py).
GEN_SRC  := $(B)/gen/assets.c
LIB_SRC  := $(wildcard src/core/*.c src/sd/*.c src/map/*.c src/store/*.c \
                       src/web/*.c src/api/*.c src/demand/*.c)
CLI_SRC  := $(wildcard src/cli/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
GOLD_SRC := $(wildcard tests/golden/test_*.c)
API_SRC  := $(wildcard tests/api/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o) $(GEN_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/obj/%.o)
TESTS    := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%) \
            $(GOLD_SRC:tests/golden/%.c=$(B)/tests/%) \
            $(API_SRC:tests/api/%.c=$(B)/tests/%)
ASSETS   := $(shell test -f web/assets.txt && \
              awk '!/^[ \t]*(\#|$$)/ { print $$2 }' web/assets.txt)
NPM_STAMP := $(if $(wildcard web/package-lock.json),web/node_modules/.package-lock.json)
LIB      := $(B)/libterritory.a
BIN      := $(B)/territory

.PHONY: all deps test check check-asan run fuzz fuzz-build lint format bench clean
all: $(BIN)

deps:
	@sh scripts/install-deps.sh

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(FILE_CFLAGS) -MMD -MP -c $< -o $@

# The VM's computed gotos must stay one indirect jump per opcode: GCC's
# cross-jumping and GCSE merge them into one shared jump, which the branch
# predictor cannot learn (the trick CPython's interpreter loop uses too).
$(B)/obj/src/sd/vm.o: FILE_CFLAGS = -fno-crossjumping -fno-gcse

# npm's libraries for the browser app (Cytoscape.js and friends, and
# playwright-core for the browser tests), pinned by web/package-lock.json.
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The asset files come out of node_modules, so npm runs first; the
# generated file is rebuilt when the manifest or any file in it changes.
$(B)/gen/assets.c: scripts/embed-assets.py $(wildcard web/assets.txt) $(NPM_STAMP)
	@mkdir -p $(dir $@)
	@test -f web/assets.txt || { echo "# empty" > $(B)/gen/empty.txt; }
	python3 scripts/embed-assets.py $(if $(wildcard web/assets.txt),web/assets.txt,$(B)/gen/empty.txt) $@
$(B)/gen/assets.c: $(filter-out $(NPM_STAMP),$(ASSETS))
# The listed files inside node_modules appear when npm has run.
$(filter web/node_modules/%,$(ASSETS)): $(NPM_STAMP) ;

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(TESTLIBS) $(LDLIBS)

$(B)/tests/%: tests/golden/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(TESTLIBS) $(LDLIBS)

# API tests start build/territory serve themselves (TERRITORY names it)
# and talk to it through libcurl.
$(B)/tests/%: tests/api/%.c $(LIB) $(BIN)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(TESTLIBS) $(LDLIBS) \
	  $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)

# Runs every test binary and the CLI tests against this build directory.
check: $(BIN) $(TESTS)
	@B=$(B) sh tests/run-tests.sh $(TESTS)

check-asan:
	@$(MAKE) --no-print-directory SANITIZER=address check

# The README's test command: install what is missing, run the suite, then
# run it once more under ASan+UBSan.
test: deps
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory check-asan

# The main job: the server, on territory.db (created and seeded with the
# starter workspace when missing), at http://127.0.0.1:8080/.
DB   ?= territory.db
HOST ?= 127.0.0.1
PORT ?= 8080
run: deps
	@$(MAKE) --no-print-directory $(BIN)
	$(BIN) serve --db $(DB) --host $(HOST) --port $(PORT)

FUZZ_SECONDS ?= 60
FUZZ_LIB_SRC = $(LIB_SRC) $(GEN_SRC)
fuzz-build: deps $(GEN_SRC)
	@mkdir -p build/fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "clang $$n"; \
	  clang -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 \
	    -fsanitize=fuzzer,address,undefined -Iinclude -Isrc $$f \
	    $(FUZZ_LIB_SRC) -o build/fuzz/$$n $(LDLIBS) || exit 1; done

# Runs each fuzz target for FUZZ_SECONDS seconds from its seed corpus.
fuzz: fuzz-build
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  mkdir -p build/fuzz/corpus-$$n; \
	  echo "fuzzing $$n for $(FUZZ_SECONDS)s"; \
	  build/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
	    -timeout=5 -rss_limit_mb=2048 build/fuzz/corpus-$$n \
	    tests/fuzz/corpus/$$n || exit 1; done

# Benchmarks against peers (bench/README.md); writes bench/RESULTS.md.
bench: deps
	@sh bench/run.sh

lint: deps
	@clang-format --dry-run --Werror $(LIB_SRC) $(CLI_SRC) $(wildcard src/*/*.h include/*.h)
	@cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	  --inline-suppr --suppress=missingIncludeSystem -Isrc -Iinclude src

format: deps
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(wildcard src/*/*.h include/*.h) \
	  $(UNIT_SRC) $(GOLD_SRC) $(FUZZ_SRC)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

.DELETE_ON_ERROR:
