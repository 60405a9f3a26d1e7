#!/usr/bin/env bash
# Sets up this host (libvirtd, QEMU, Java, Maven) and runs every test: the unit tests and the
# in-container tests, which boot a real Karaf 4.4.10 with our feature and back up real QEMU
# guests on the local libvirtd. Run as root on Debian 12. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup-host.sh
source scripts/java-env.sh

# install, not verify: Pax Exam resolves our bundles as mvn: URLs from the local repository.
exec mvn -B -ntp install "$@"
