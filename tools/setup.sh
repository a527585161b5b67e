#!/usr/bin/env bash
# Installs every Debian package the project needs to build, test and run the demo.
# Idempotent; run as root on Debian 12 (bookworm).
set -euo pipefail

packages=(
  # toolchain and build
  build-essential g++ meson ninja-build pkg-config git
  clang clang-format clang-tidy-16 libclang-rt-14-dev
  # fuzzing (tools/fuzz.sh: libFuzzer with ASan/UBSan)
  clang-16 libclang-rt-16-dev
  # required libraries
  libdpdk-dev dpdk libsrtp2-dev libssl-dev
  libboost-dev libboost-program-options-dev
  prometheus-cpp-dev libgtest-dev libgmock-dev
  libedit-dev libfmt-dev libspdlog-dev nlohmann-json3-dev libsqlite3-dev
  # transcoding codecs (dataplane/media/codecs)
  libspandsp-dev libopus-dev libbcg729-dev
  # trunk hosts by DNS name (RFC 3263: NAPTR, SRV, A)
  libc-ares-dev
  # lab, demo and integration tests
  iproute2 iputils-ping ethtool sip-tester tcpdump procps curl python3 kmod
  # a DNS server with SRV and NAPTR records for the trunk-by-name test
  dnsmasq-base
  # security tests: SIP scanners (svmap, svwar, svcrack)
  sipvicious
  # TLS peers (Debian's sipp has no TLS): kamailio's tls module, test certificates, s_client
  kamailio kamailio-tls-modules openssl
  # audio tests: baresip peers that encode, decode and record (aufile, sndfile, srtp modules)
  baresip-core
)

if [[ $(id -u) -ne 0 ]]; then
  echo "setup.sh: run as root (it installs Debian packages)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup.sh: installing ${#missing[@]} packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup.sh: all packages present"
fi
