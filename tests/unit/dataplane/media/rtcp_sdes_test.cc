#include "dataplane/media/rtcp_sdes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sbc::dp {
namespace {

using Bytes = std::vector<uint8_t>;

// An RTCP packet: version 2, `count`, `type`, the body padded to 32 bits, its length field set.
Bytes packet(uint8_t count, uint8_t type, Bytes body) {
  while (body.size() % 4 != 0) body.push_back(0);
  const size_t words = body.size() / 4;
  Bytes p{static_cast<uint8_t>(0x80 | count), type, static_cast<uint8_t>(words >> 8),
          static_cast<uint8_t>(words)};
  for (uint8_t b : body) p.push_back(b);  // (insert() trips g++ 12's -Warray-bounds here)
  return p;
}

// An SDES chunk: the SSRC, items (type, text), the END octet.
Bytes chunk(uint32_t ssrc, const std::vector<std::pair<uint8_t, std::string>>& items) {
  Bytes c{static_cast<uint8_t>(ssrc >> 24), static_cast<uint8_t>(ssrc >> 16),
          static_cast<uint8_t>(ssrc >> 8), static_cast<uint8_t>(ssrc)};
  for (const auto& [type, text] : items) {
    c.push_back(type);
    c.push_back(static_cast<uint8_t>(text.size()));
    for (char ch : text) c.push_back(static_cast<uint8_t>(ch));
  }
  c.push_back(0);
  while (c.size() % 4 != 0) c.push_back(0);
  return c;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) {
    for (uint8_t b : p) out.push_back(b);
  }
  return out;
}

bool contains(const Bytes& bytes, std::string_view text) {
  return std::string(bytes.begin(), bytes.end()).find(text) != std::string::npos;
}

const Bytes kReceiverReport = packet(0, 201, {0x01, 0x02, 0x03, 0x04});

TEST(RtcpSdes, EveryItemOfEveryChunkIsMaskedAndNothingElseMoves) {
  const std::string cname = "sip:15550002@198.51.100.10";
  const Bytes bye = packet(1, 203, {0x9f, 0x2b, 0xd1, 0x53});
  Bytes p = concat({kReceiverReport,
                    packet(2, 202,
                           concat({chunk(0x9f2bd153, {{1, cname}, {2, "Alice Smith"}}),
                                   chunk(0x11223344, {{1, "bob@10.0.0.7"}, {4, "+15551234"}})})),
                    bye});
  const Bytes before = p;
  ASSERT_TRUE(mask_rtcp_sdes(p.data(), p.size()));
  ASSERT_EQ(p.size(), before.size());
  for (std::string_view secret :
       {std::string_view(cname), std::string_view("198.51.100"), std::string_view("Alice"),
        std::string_view("10.0.0.7"), std::string_view("5551234")}) {
    EXPECT_FALSE(contains(p, secret)) << secret;
  }
  // Headers, SSRCs, item types and lengths, the other packets: as they were.
  EXPECT_TRUE(std::equal(kReceiverReport.begin(), kReceiverReport.end(), p.begin()));
  EXPECT_TRUE(std::equal(bye.begin(), bye.end(), p.end() - static_cast<ptrdiff_t>(bye.size())));
  const size_t sdes = kReceiverReport.size();
  for (size_t i : {sdes, sdes + 1, sdes + 2, sdes + 3, sdes + 4, sdes + 7, sdes + 8, sdes + 9}) {
    EXPECT_EQ(p[i], before[i]) << "octet " << i;
  }
  // Masked as hex digits, the same text to the same mask: a CNAME stays one participant's.
  Bytes again = concat({packet(1, 202, chunk(0x9f2bd153, {{1, cname}}))});
  ASSERT_TRUE(mask_rtcp_sdes(again.data(), again.size()));
  EXPECT_TRUE(std::equal(again.begin() + 10,
                         again.begin() + 10 + static_cast<ptrdiff_t>(cname.size()),
                         p.begin() + static_cast<ptrdiff_t>(sdes + 10)));
  for (size_t i = 0; i < cname.size(); ++i) EXPECT_TRUE(isxdigit(again[10 + i])) << i;
}

TEST(RtcpSdes, MalformedPacketsAreWalkedNoFurtherThanTheirBytes) {
  // An item running past its packet, a chunk without END, a length past the datagram, version 1.
  Bytes long_item = packet(1, 202, {0, 0, 0, 1, 1, 40, 'a', 'b'});
  Bytes no_end = packet(1, 202, {0, 0, 0, 1, 1, 2, 'a', 'b'});
  Bytes past = packet(1, 202, chunk(1, {{1, "secret"}}));
  past[3] += 5;
  Bytes v1 = packet(1, 202, chunk(1, {{1, "secret"}}));
  v1[0] = 0x41;
  for (Bytes* p : {&long_item, &past, &v1}) {
    const Bytes before = *p;
    EXPECT_FALSE(mask_rtcp_sdes(p->data(), p->size()));
    EXPECT_EQ(*p, before);
  }
  EXPECT_TRUE(mask_rtcp_sdes(no_end.data(), no_end.size())) << "the items that fit are masked";
  EXPECT_FALSE(mask_rtcp_sdes(nullptr, 0));
  Bytes tiny{0x80, 202};
  EXPECT_FALSE(mask_rtcp_sdes(tiny.data(), tiny.size()));
}

}  // namespace
}  // namespace sbc::dp
