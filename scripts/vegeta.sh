#!/usr/bin/env bash
# tsenart/vegeta, the load generator of npm run rehearse (a constant request rate, open
# model). Prints the binary's path.
exec bash "$(dirname "$0")/go-tool.sh" vegeta github.com/tsenart/vegeta/v12 v12.13.0
