#!/usr/bin/env bash
# setup.sh -- Gradescope runs this once when it builds the autograder image (Ubuntu/Debian).
# Upload a zip of the Keel kit (without reference/ if you like: the grader needs only labs/
# and harness/) with this file and run_autograder at its top, plus a file LAB naming the lab.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends gcc make libcmocka-dev python3 patch
