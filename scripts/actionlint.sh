#!/usr/bin/env bash
# rhysd/actionlint, for linting .github/workflows in npm test. Prints the binary's path.
exec bash "$(dirname "$0")/go-tool.sh" actionlint github.com/rhysd/actionlint/cmd/actionlint v1.7.12
