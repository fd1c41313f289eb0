# Thin aliases for scripts/ (the scripts are the real entry points: they need nothing but bash, so
# they also work on a machine without make). `make help` lists the targets.
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

.DEFAULT_GOAL := help
.PHONY: help bootstrap run test build release blackbox bench migrate embed-migrations docker clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  make %-17s %s\n", $$1, $$2 }'

bootstrap: ## install missing system packages (apt-get; sudo when not root)
	scripts/bootstrap

run: ## build and start the server: http://127.0.0.1:8080, embedded PostgreSQL in ./.asyncgate (CONFIG=release for an optimised build)
	scripts/run

test: ## the whole suite: swift build --build-tests, swift test, black-box suite
	scripts/test

build: ## debug build of everything, tests included
	swift build --build-tests

release: ## optimised build of the asyncgate binary
	swift build -c release --product asyncgate

blackbox: ## only the black-box suite, against the debug binary
	swift build --product asyncgate
	scripts/blackbox

bench: ## benchmarks: make bench [SCENARIO="cycle ceiling"] (see scripts/bench --help)
	scripts/bench $(SCENARIO)

migrate: ## apply pending migrations to ASYNCGATE_DATABASE_URL (or the embedded cluster) and exit
	scripts/run migrate

embed-migrations: ## regenerate Sources/Storage/EmbeddedMigrations.swift from migrations/
	scripts/embed-migrations

docker: ## build the container image (needs a Docker engine)
	docker build -t asyncgate .

clean: ## remove build output (keeps ./.asyncgate, the embedded database)
	rm -rf .build Benchmarks/.build
