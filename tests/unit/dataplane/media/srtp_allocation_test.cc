// The dataplane's per-packet rule for SRTP: once a context has seen an SSRC, protect and unprotect
// allocate nothing. This test binary defines malloc, calloc and realloc (they forward to glibc's
// __libc_* entry points), so every heap allocation in the process, libsrtp's and OpenSSL's
// included, passes through a counter that counts only while a test has switched it on. It is a
// binary of its own so the hook touches no other test.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "dataplane/media/srtp_context.h"
#include "tests/unit/dataplane/media/srtp_test_util.h"

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* pointer, size_t size);
}

namespace {

// The hook's state; a test binary's only globals.
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};

void count() {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

extern "C" {
void* malloc(size_t size) {
  count();
  return __libc_malloc(size);
}
void* calloc(size_t count_, size_t size) {
  count();
  return __libc_calloc(count_, size);
}
void* realloc(void* pointer, size_t size) {
  count();
  return __libc_realloc(pointer, size);
}
}

namespace sbc::dp {
namespace {

using test::Packet;
using test::rtcp_packet;
using test::rtp_packet;

// Counts the heap allocations of the code it runs.
template <typename F>
uint64_t allocations_of(F&& body) {
  g_allocations.store(0);
  g_counting.store(true);
  body();
  g_counting.store(false);
  return g_allocations.load();
}

class SrtpAllocationTest : public ::testing::TestWithParam<SrtpSuite> {
 protected:
  void SetUp() override { library_.emplace(*SrtpLibrary::init()); }
  std::optional<SrtpLibrary> library_;
};

TEST_P(SrtpAllocationTest, TheHookCountsAllocations) {
  // A test that cannot fail is no test: the counter must see an allocation when there is one.
  const uint64_t seen = allocations_of([] {
    void* volatile p = malloc(64);
    free(p);
  });
  EXPECT_EQ(seen, 1u);
}

TEST_P(SrtpAllocationTest, ProtectAndUnprotectOfAKnownSsrcAllocateNothing) {
  constexpr uint32_t kSsrc = 0x11223344;
  const uint32_t ssrcs[] = {kSsrc};
  auto out = SrtpOutbound::create(*library_, test::key_for(GetParam(), 7), {}, ssrcs).value();
  auto in = SrtpInbound::create(*library_, test::key_for(GetParam(), 7), {}, ssrcs).value();
  // The packets' buffers are made before counting; the loop only protects and unprotects.
  constexpr int kPackets = 1000;
  std::vector<Packet> rtp;
  std::vector<Packet> rtcp;
  for (int i = 0; i < kPackets; ++i) {
    rtp.push_back(rtp_packet(kSsrc, static_cast<uint16_t>(i + 1)));
    rtcp.push_back(rtcp_packet(kSsrc));
  }
  int failures = 0;
  const uint64_t seen = allocations_of([&] {
    for (int i = 0; i < kPackets; ++i) {
      if (out.protect_rtp(rtp[i].buffer, rtp[i].length) != SrtpResult::kOk) ++failures;
      if (in.unprotect_rtp(rtp[i].buffer, rtp[i].length) != SrtpResult::kOk) ++failures;
      if (out.protect_rtcp(rtcp[i].buffer, rtcp[i].length) != SrtpResult::kOk) ++failures;
      if (in.unprotect_rtcp(rtcp[i].buffer, rtcp[i].length) != SrtpResult::kOk) ++failures;
    }
  });
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(seen, 0u) << "heap allocations in " << kPackets
                      << " x (protect + unprotect) of RTP and RTCP";
}

TEST_P(SrtpAllocationTest, AuthenticationFailuresAllocateNothing) {
  // A forged packet is what an attacker controls: its rejection must not allocate either.
  constexpr uint32_t kSsrc = 0x55667788;
  const uint32_t ssrcs[] = {kSsrc};
  auto out = SrtpOutbound::create(*library_, test::key_for(GetParam(), 9), {}, ssrcs).value();
  auto in = SrtpInbound::create(*library_, test::key_for(GetParam(), 9), {}, ssrcs).value();
  std::vector<Packet> forged;
  for (int i = 0; i < 100; ++i) {
    forged.push_back(rtp_packet(kSsrc, static_cast<uint16_t>(i + 1)));
    ASSERT_EQ(out.protect_rtp(forged.back().buffer, forged.back().length), SrtpResult::kOk);
    forged.back().buffer[forged.back().length - 1] ^= 0x01;
  }
  int refused = 0;
  const uint64_t seen = allocations_of([&] {
    for (auto& p : forged) {
      if (in.unprotect_rtp(p.buffer, p.length) == SrtpResult::kAuthFail) ++refused;
    }
  });
  EXPECT_EQ(refused, 100);
  EXPECT_EQ(seen, 0u);
}

INSTANTIATE_TEST_SUITE_P(Suites, SrtpAllocationTest,
                         ::testing::Values(SrtpSuite::kAesCm128HmacSha1_80,
                                           SrtpSuite::kAesCm128HmacSha1_32,
                                           SrtpSuite::kAeadAes128Gcm, SrtpSuite::kAeadAes256Gcm),
                         [](const auto& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace sbc::dp
