#include "api/control_protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

namespace sbc::api {
namespace {

SessionAdd sample_session() {
  SessionAdd add;
  add.session_id = 0x0102030405060708ULL;
  add.media_timeout_ms = 30000;
  add.latch_window_ms = 2000;
  add.legs[0] = LegSpec{0,
                        Address::parse("192.0.2.1"),
                        20000,
                        Address::parse("192.0.2.10"),
                        6000,
                        0,
                        Address::parse("192.0.2.10"),
                        {},
                        {},
                        {},
                        true};
  add.legs[1] = LegSpec{1,
                        Address::parse("198.51.100.1"),
                        20002,
                        Address::parse("198.51.100.10"),
                        7000,
                        7001,
                        Address::parse("198.51.100.10"),
                        {},
                        {},
                        {},
                        false};  // on hold: the callee's RTP is not relayed
  add.max_packet_rate = 200;
  return add;
}

StatsReply sample_stats() {
  StatsReply s;
  s.active_sessions = 3;
  s.ports.push_back(PortStats{0, "access", 1, 2, 3, 4, 5, 6, 7, 8});
  s.drops.push_back(Counter{"source_mismatch", 42});
  s.events.push_back(Counter{"latch_learned", 2});
  StreamStats rtp{10, 1720, 1, 20, Address::parse("192.0.2.10"), 6000, 3, 4, 5, 6, 7, {}};
  rtp.quality.expected = 12;
  rtp.quality.lost = -2;  // duplicates: negative, must survive the wire
  rtp.quality.jitter = 37;
  rtp.quality.clock_hz = 8000;
  StreamStats rtcp;
  rtcp.quality.reports = 4;
  rtcp.quality.peer_fraction_lost = 26;
  rtcp.quality.peer_lost = -1;
  rtcp.quality.peer_jitter = 0xfffffff0;
  rtcp.quality.rtt_us = 48'000;
  rtcp.quality.rtcp_malformed = 3;
  s.legs.push_back(LegStats{rtp, rtcp});
  s.banned_sources = 12;
  s.trusted_sources = 0x01020304;
  s.transcoded_sessions = 17;
  return s;
}

template <typename T>
T round_trip(const T& in, uint32_t request_id = 7) {
  auto bytes = encode(request_id, Message{in});
  EXPECT_TRUE(bytes.has_value());
  auto env = decode(*bytes);
  EXPECT_TRUE(env.has_value()) << (env ? "" : to_string(env.error()));
  EXPECT_EQ(env->request_id, request_id);
  EXPECT_TRUE(std::holds_alternative<T>(env->message));
  return std::get<T>(env->message);
}

TEST(ControlProtocol, RoundTripsEveryMessage) {
  EXPECT_EQ(round_trip(Hello{kProtocolVersion, 4096, "sbcd"}),
            (Hello{kProtocolVersion, 4096, "sbcd"}));
  HelloReply reply{kProtocolVersion, kMaxMessageSize, "sbc-dataplane", {}};
  reply.ports.push_back(
      PortInfo{0, "access", Address::parse("192.0.2.1"), 24, {0x02, 0, 0, 0, 0, 1}, true});
  reply.ports.push_back(PortInfo{1, "trunk", Address::parse("2001:db8::1"), 64, {}, false});
  reply.max_sessions = 65536;
  reply.max_transcoded_sessions = 250;
  EXPECT_EQ(round_trip(reply), reply);
  EXPECT_EQ(round_trip(Result{Status::kNoResources, "table full"}),
            (Result{Status::kNoResources, "table full"}));
  EXPECT_EQ(round_trip(sample_session()), sample_session());
  EXPECT_EQ(round_trip(SessionDelete{99}), SessionDelete{99});
  EXPECT_EQ(round_trip(StatsQuery{5}), StatsQuery{5});
  EXPECT_EQ(round_trip(sample_stats()), sample_stats());
  EXPECT_EQ(round_trip(DumpQuery{12, 64}), (DumpQuery{12, 64}));
  DumpReply dump;
  dump.sessions.push_back(SessionInfo{sample_session(), {}});
  dump.next_cursor = 77;
  EXPECT_EQ(round_trip(dump), dump);
  EXPECT_EQ(round_trip(MediaTimeoutEvent{3, 61000}, 0), (MediaTimeoutEvent{3, 61000}));
  const SourceAdd ban{Address::parse("203.0.113.9"), SourceClass::kBanned, 600000};
  EXPECT_EQ(round_trip(ban), ban);
  const SourceAdd trust{Address::parse("2001:db8::7"), SourceClass::kTrusted, 0};
  EXPECT_EQ(round_trip(trust), trust);
  EXPECT_EQ(round_trip(SourceDelete{Address::parse("2001:db8::7")}),
            SourceDelete{Address::parse("2001:db8::7")});
  EXPECT_EQ(round_trip(SourceFlush{}), SourceFlush{});
  EXPECT_EQ(round_trip(MediaPortsSet{20000, 29999}), (MediaPortsSet{20000, 29999}));
  EXPECT_EQ(round_trip(MediaPortsSet{}), MediaPortsSet{});
  EXPECT_EQ(round_trip(MediaPortsSet{40000, 40000}), (MediaPortsSet{40000, 40000}));
}

TEST(ControlProtocol, NewMessagesHaveTheirTypeNumbersAndLayout) {
  EXPECT_EQ(kProtocolVersion, 7);  // 7: LegSpec::forward_rtp
  EXPECT_EQ(type_of(Message{SourceAdd{}}), MessageType::kSourceAdd);
  EXPECT_EQ(static_cast<uint16_t>(MessageType::kSourceAdd), 11);
  EXPECT_EQ(static_cast<uint16_t>(MessageType::kMediaPortsSet), 14);
  EXPECT_EQ(to_string(MessageType::kSourceFlush), "SourceFlush");
  EXPECT_EQ(to_string(SourceClass::kTrusted), "trusted");

  // SourceAdd: address (family + 16 bytes), class, duration_ms (u32 LE).
  auto add = *encode(
      1, Message{SourceAdd{Address::parse("192.0.2.9"), SourceClass::kTrusted, 0x01020304}});
  ASSERT_EQ(add.size(), kHeaderSize + 17 + 1 + 4);
  EXPECT_EQ(add[kHeaderSize], 4);          // family
  EXPECT_EQ(add[kHeaderSize + 1], 192);    // address in network order
  EXPECT_EQ(add[kHeaderSize + 17], 2);     // kTrusted
  EXPECT_EQ(add[kHeaderSize + 18], 0x04);  // little endian
  EXPECT_EQ(encode(1, Message{SourceFlush{}})->size(), kHeaderSize);
  EXPECT_EQ(encode(1, Message{MediaPortsSet{1, 2}})->size(), kHeaderSize + 4);
  // SessionAdd ends with max_packet_rate.
  auto session = *encode(1, Message{sample_session()});
  EXPECT_EQ(session[session.size() - 4], 200);
}

Batch sample_batch() {
  Batch b;
  b.items = {sample_session(), SessionDelete{5},
             SourceAdd{Address::parse("2001:db8::66"), SourceClass::kBanned, 1000},
             SourceDelete{Address::parse("192.0.2.9")}};
  return b;
}

TEST(ControlProtocol, BatchesRoundTripWithOneResultPerItem) {
  EXPECT_EQ(static_cast<uint16_t>(MessageType::kBatch), 15);
  EXPECT_EQ(static_cast<uint16_t>(MessageType::kBatchReply), 16);
  EXPECT_EQ(to_string(MessageType::kBatch), "Batch");
  EXPECT_EQ(round_trip(sample_batch()), sample_batch());
  BatchReply reply;
  reply.results = {Result{}, Result{Status::kNotFound, "no such session"}, Result{},
                   Result{Status::kInvalid, ""}};
  EXPECT_EQ(round_trip(reply), reply);

  // Layout: u16 count, then per item u16 type + the single message's body.
  const Batch one{{SessionDelete{0x0102}}};
  auto bytes = *encode(9, Message{one});
  ASSERT_EQ(bytes.size(), kBatchOverhead + 2 + 8);
  EXPECT_EQ(bytes[kHeaderSize], 1);
  EXPECT_EQ(bytes[kHeaderSize + 2], static_cast<uint8_t>(MessageType::kSessionDelete));
  EXPECT_EQ(bytes[kHeaderSize + 4], 0x02);
  // batch_item_size is what an item adds to a Batch.
  size_t sum = kBatchOverhead;
  for (const auto& item : sample_batch().items) sum += batch_item_size(item);
  EXPECT_EQ(encode(1, Message{sample_batch()})->size(), sum);

  // The four programming requests convert; the others cannot be batched.
  EXPECT_TRUE(to_batch_item(Message{sample_session()}).has_value());
  EXPECT_TRUE(to_batch_item(Message{SourceDelete{Address::parse("192.0.2.9")}}).has_value());
  EXPECT_FALSE(to_batch_item(Message{SourceFlush{}}).has_value());
  EXPECT_FALSE(to_batch_item(Message{StatsQuery{}}).has_value());
  EXPECT_EQ(to_message(BatchItem{SessionDelete{4}}), Message{SessionDelete{4}});
}

TEST(ControlProtocol, BatchOfTheMostItemsFitsAndTheirStatusesFitTheSmallestMessage) {
  Batch sources;
  sources.items.assign(kMaxBatchItems,
                       SourceAdd{Address::parse("203.0.113.1"), SourceClass::kTrusted, 0});
  auto bytes = encode(1, Message{sources});
  ASSERT_TRUE(bytes.has_value());
  EXPECT_LE(bytes->size(), kMaxMessageSize);
  BatchReply statuses;
  statuses.results.assign(kMaxBatchItems, Result{Status::kConflict, ""});
  EXPECT_LE(encode(1, Message{statuses})->size(), 4096u);  // ControlServer::kMinMessageSize
  // Sessions are bigger: as many as the message size holds (the resync fills by size).
  Batch sessions;
  sessions.items.assign(kMaxBatchItems, sample_session());
  EXPECT_EQ(encode(1, Message{sessions}).error(), EncodeError::kTooLarge);
}

TEST(ControlProtocol, RejectsBatchesOutsideTheirDomain) {
  // Empty, or more than kMaxBatchItems: refused both ways.
  EXPECT_EQ(encode(1, Message{Batch{}}).error(), EncodeError::kBadField);
  EXPECT_EQ(encode(1, Message{BatchReply{}}).error(), EncodeError::kBadField);
  Batch too_many;
  too_many.items.assign(kMaxBatchItems + 1, SessionDelete{1});
  EXPECT_EQ(encode(1, Message{too_many}).error(), EncodeError::kBadField);

  const Batch two{{SessionDelete{1}, SessionDelete{2}}};
  const auto good = *encode(1, Message{two});
  auto empty = good;
  empty.resize(kBatchOverhead);
  empty[8] = static_cast<uint8_t>(empty.size());
  empty[kHeaderSize] = 0;
  EXPECT_EQ(decode(empty).error(), DecodeError::kBadField);

  // A count over kMaxBatchItems with enough bytes behind it.
  std::vector<uint8_t> many(kBatchOverhead, 0);
  many[0] = static_cast<uint8_t>(kProtocolVersion);
  many[2] = static_cast<uint8_t>(MessageType::kBatch);
  for (size_t i = 0; i <= kMaxBatchItems; ++i) {
    const auto item = *encode(1, Message{SessionDelete{i + 1}});
    many.push_back(static_cast<uint8_t>(MessageType::kSessionDelete));
    many.push_back(0);
    many.insert(many.end(), item.begin() + kHeaderSize, item.end());
  }
  const size_t count = kMaxBatchItems + 1;
  many[kHeaderSize] = static_cast<uint8_t>(count);
  many[kHeaderSize + 1] = static_cast<uint8_t>(count >> 8);
  const auto length = static_cast<uint32_t>(many.size());
  std::memcpy(many.data() + 8, &length, 4);
  EXPECT_EQ(decode(many).error(), DecodeError::kBadField);

  // An item of a type a Batch cannot carry (a nested Batch, a StatsQuery).
  for (const auto type : {MessageType::kBatch, MessageType::kStatsQuery, MessageType::kHello}) {
    auto nested = good;
    nested[kHeaderSize + 2] = static_cast<uint8_t>(type);
    EXPECT_EQ(decode(nested).error(), DecodeError::kBadField) << to_string(type);
  }
  // A bad field inside an item fails the whole message (it is not the sender's to trust).
  const Batch with_source{{SessionDelete{1}, SourceDelete{Address::parse("192.0.2.9")}}};
  auto bad = *encode(1, Message{with_source});
  bad[kHeaderSize + 2 + 2 + 8 + 2] = 0;  // the SourceDelete's family: unset
  EXPECT_EQ(decode(bad).error(), DecodeError::kBadField);
  // A count the packet cannot hold, and a truncated last item.
  auto short_count = good;
  short_count[kHeaderSize] = 0xff;
  EXPECT_EQ(decode(short_count).error(), DecodeError::kTruncated);
  auto truncated = good;
  truncated.pop_back();
  truncated[8] = static_cast<uint8_t>(truncated.size());
  EXPECT_EQ(decode(truncated).error(), DecodeError::kTruncated);
  // A BatchReply whose result status is out of range.
  auto reply = *encode(1, Message{BatchReply{{Result{}}}});
  reply[kHeaderSize + 2] = 0x7f;
  EXPECT_EQ(decode(reply).error(), DecodeError::kBadField);
}

TEST(ControlProtocol, RejectsSourceMessagesOutsideTheirDomain) {
  const auto ban = *encode(1, Message{SourceAdd{Address::parse("192.0.2.9")}});
  const size_t cls = kHeaderSize + 17;
  for (uint8_t bad : {0, 3, 0xff}) {
    auto bytes = ban;
    bytes[cls] = bad;
    EXPECT_EQ(decode(bytes).error(), DecodeError::kBadField) << int{bad};
  }
  auto unset = ban;
  unset[kHeaderSize] = 0;  // AddressFamily::kNone: no host to ban
  EXPECT_EQ(decode(unset).error(), DecodeError::kBadField);
  auto family = ban;
  family[kHeaderSize] = 5;
  EXPECT_EQ(decode(family).error(), DecodeError::kBadField);

  auto del = *encode(1, Message{SourceDelete{Address::parse("2001:db8::1")}});
  del[kHeaderSize] = 0;
  EXPECT_EQ(decode(del).error(), DecodeError::kBadField);

  // Truncated consistently (length patched) and with trailing bytes.
  std::vector<uint8_t> cut(ban.begin(), ban.end() - 2);
  cut[8] = static_cast<uint8_t>(cut.size());
  EXPECT_EQ(decode(cut).error(), DecodeError::kTruncated);
  auto flush = *encode(1, Message{SourceFlush{}});
  flush.push_back(0);
  flush[8] = static_cast<uint8_t>(flush.size());
  EXPECT_EQ(decode(flush).error(), DecodeError::kTrailingBytes);

  // The encoder refuses what the decoder would.
  EXPECT_EQ(encode(1, Message{SourceAdd{}}).error(), EncodeError::kBadField);
  EXPECT_EQ(encode(1, Message{SourceAdd{Address::parse("192.0.2.9"), SourceClass{7}}}).error(),
            EncodeError::kBadField);
  EXPECT_EQ(encode(1, Message{SourceDelete{}}).error(), EncodeError::kBadField);
}

TEST(ControlProtocol, RejectsAnInvertedMediaPortRange) {
  EXPECT_EQ(encode(1, Message{MediaPortsSet{30000, 20000}}).error(), EncodeError::kBadField);
  auto bytes = *encode(1, Message{MediaPortsSet{20000, 29999}});
  bytes[kHeaderSize + 2] = 0x00;  // port_max = 256 (little endian), below port_min
  bytes[kHeaderSize + 3] = 0x01;
  EXPECT_EQ(decode(bytes).error(), DecodeError::kBadField);
  // port_min 0 is "off" whatever port_max says.
  EXPECT_EQ(round_trip(MediaPortsSet{0, 5}), (MediaPortsSet{0, 5}));
}

TEST(ControlProtocol, HeaderLayoutIsLittleEndianAndCarriesLength) {
  auto bytes = encode(0x11223344, Message{SessionDelete{1}});
  ASSERT_TRUE(bytes);
  ASSERT_EQ(bytes->size(), kHeaderSize + 8);
  EXPECT_EQ((*bytes)[0], kProtocolVersion);
  EXPECT_EQ((*bytes)[2], static_cast<uint8_t>(MessageType::kSessionDelete));
  EXPECT_EQ((*bytes)[4], 0x44);
  EXPECT_EQ((*bytes)[7], 0x11);
  EXPECT_EQ((*bytes)[8], kHeaderSize + 8);
}

TEST(ControlProtocol, RejectsWrongVersion) {
  auto bytes = *encode(1, Message{Hello{}});
  bytes[0] = kProtocolVersion + 1;
  EXPECT_EQ(decode(bytes).error(), DecodeError::kWrongVersion);
}

TEST(ControlProtocol, RejectsTruncatedAndShortHeaders) {
  auto bytes = *encode(1, Message{sample_session()});
  for (size_t n = 0; n < kHeaderSize; ++n) {
    EXPECT_EQ(decode(std::span(bytes).first(n)).error(), DecodeError::kTruncated) << n;
  }
  // A packet cut short with a length field that still claims the whole message.
  EXPECT_EQ(decode(std::span(bytes).first(bytes.size() - 1)).error(), DecodeError::kBadLength);
  // Cut short consistently: header length patched to the shorter size.
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 3);
  cut[8] = static_cast<uint8_t>(cut.size());
  cut[9] = static_cast<uint8_t>(cut.size() >> 8);
  EXPECT_EQ(decode(cut).error(), DecodeError::kTruncated);
}

TEST(ControlProtocol, RejectsUnknownTypeTrailingBytesAndBadFields) {
  auto bytes = *encode(1, Message{SessionDelete{1}});
  auto unknown = bytes;
  unknown[2] = 0xee;
  EXPECT_EQ(decode(unknown).error(), DecodeError::kUnknownType);

  auto trailing = bytes;
  trailing.push_back(0);
  trailing[8] = static_cast<uint8_t>(trailing.size());
  EXPECT_EQ(decode(trailing).error(), DecodeError::kTrailingBytes);

  auto reserved = bytes;
  reserved[12] = 1;
  EXPECT_EQ(decode(reserved).error(), DecodeError::kBadField);

  auto result = *encode(1, Message{Result{Status::kOk, ""}});
  result[kHeaderSize] = 0x7f;  // status out of range
  EXPECT_EQ(decode(result).error(), DecodeError::kBadField);

  auto add = *encode(1, Message{sample_session()});
  add[kHeaderSize + 16 + 1] = 9;  // first leg's local address family
  EXPECT_EQ(decode(add).error(), DecodeError::kBadField);

  auto dump = *encode(1, Message{DumpQuery{0, 1}});
  dump[kHeaderSize + 8] = 0;  // max_entries 0
  EXPECT_EQ(decode(dump).error(), DecodeError::kBadField);
}

TEST(ControlProtocol, RejectsVectorCountsThePacketCannotHold) {
  auto bytes = *encode(1, Message{DumpReply{}});
  bytes[kHeaderSize] = 0xff;  // session count 0x00ff with no entries behind it
  EXPECT_EQ(decode(bytes).error(), DecodeError::kTruncated);
}

TEST(ControlProtocol, RejectsOversizedPacketsAndStrings) {
  std::vector<uint8_t> huge(kMaxMessageSize + 1, 0);
  EXPECT_EQ(decode(huge).error(), DecodeError::kTooLarge);
  EXPECT_EQ(encode(1, Message{Hello{kProtocolVersion, 1, std::string(kMaxStringLength + 1, 'x')}})
                .error(),
            EncodeError::kBadField);
  StatsReply big;
  big.drops.assign(3000, Counter{std::string(20, 'd'), 1});
  EXPECT_EQ(encode(1, Message{big}).error(), EncodeError::kTooLarge);
}

TEST(ControlProtocol, AddressParsingAndPrinting) {
  const Address v4 = Address::parse("198.51.100.7");
  EXPECT_EQ(v4.family, AddressFamily::kIpv4);
  EXPECT_EQ(v4.ipv4_host_order(), 0xc6336407u);
  EXPECT_EQ(v4, Address::ipv4(0xc6336407u));
  EXPECT_EQ(v4.to_string(), "198.51.100.7");
  EXPECT_EQ(Address::parse("2001:db8::5").to_string(), "2001:db8::5");
  EXPECT_FALSE(Address::parse("300.1.1.1").is_set());
  EXPECT_FALSE(Address::parse("").is_set());
  EXPECT_EQ(Address{}.to_string(), "-");
}

}  // namespace
}  // namespace sbc::api

namespace sbc::api {
namespace {

std::vector<uint8_t> key_bytes(size_t n, uint8_t first) {
  std::vector<uint8_t> k(n);
  for (size_t i = 0; i < n; ++i) k[i] = static_cast<uint8_t>(first + i);
  return k;
}

SrtpParams srtp(SrtpSuite suite, uint8_t first) {
  SrtpParams p;
  p.suite = suite;
  p.key = SrtpKey::from_bytes(key_bytes(srtp_key_salt_length(suite), first));
  return p;
}

// Leg 0 RTP/SAVP both ways (AES-CM-80 in with WSH and two SSRCs, GCM-256 out), leg 1 plain RTP in,
// AES-CM-32 out: every shape the optional fields take.
SessionAdd srtp_session() {
  SessionAdd add = sample_session();
  SrtpParams in = srtp(SrtpSuite::kAesCm128HmacSha1_80, 0xA0);
  in.replay_window = 128;
  in.ssrc_count = 2;
  in.ssrcs[0] = 0x11223344;
  in.ssrcs[1] = 0xDEADBEEF;
  add.legs[0].srtp_in = in;
  add.legs[0].srtp_out = srtp(SrtpSuite::kAeadAes256Gcm, 0x40);
  add.legs[1].srtp_out = srtp(SrtpSuite::kAesCm128HmacSha1_32, 0x10);
  return add;
}

bool contains(const std::vector<uint8_t>& haystack, const std::vector<uint8_t>& needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

TEST(ControlProtocolSrtp, SuitesHaveWireValuesNamesAndKeyLengths) {
  EXPECT_EQ(static_cast<uint8_t>(SrtpSuite::kAesCm128HmacSha1_80), 1);
  EXPECT_EQ(static_cast<uint8_t>(SrtpSuite::kAeadAes256Gcm), 4);
  EXPECT_EQ(to_string(SrtpSuite::kAesCm128HmacSha1_80), "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(to_string(SrtpSuite::kAesCm128HmacSha1_32), "AES_CM_128_HMAC_SHA1_32");
  EXPECT_EQ(to_string(SrtpSuite::kAeadAes128Gcm), "AEAD_AES_128_GCM");
  EXPECT_EQ(to_string(SrtpSuite::kAeadAes256Gcm), "AEAD_AES_256_GCM");
  EXPECT_EQ(srtp_key_salt_length(SrtpSuite::kAesCm128HmacSha1_80), 30U);
  EXPECT_EQ(srtp_key_salt_length(SrtpSuite::kAesCm128HmacSha1_32), 30U);
  EXPECT_EQ(srtp_key_salt_length(SrtpSuite::kAeadAes128Gcm), 28U);
  EXPECT_EQ(srtp_key_salt_length(SrtpSuite::kAeadAes256Gcm), 44U);
  EXPECT_EQ(srtp_key_salt_length(static_cast<SrtpSuite>(9)), 0U);
}

TEST(ControlProtocolSrtp, KeyCopiesAndRefusesOversizedInput) {
  const SrtpKey a = SrtpKey::from_bytes(key_bytes(30, 1));
  SrtpKey b = a;
  EXPECT_EQ(a, b);
  EXPECT_EQ(b.size(), 30U);
  EXPECT_EQ(b.bytes()[29], 30);
  b = SrtpKey::from_bytes(key_bytes(44, 2));
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(SrtpKey::from_bytes(key_bytes(kMaxSrtpKeySaltLength + 1, 0)).empty());
}

TEST(ControlProtocolSrtp, SessionAddWithSrtpRoundTrips) {
  const SessionAdd add = srtp_session();
  EXPECT_EQ(round_trip(add), add);
  // Batches carry the keys too (a resync re-programs SRTP sessions).
  Batch batch;
  batch.items = {add, SessionDelete{1}};
  EXPECT_EQ(round_trip(batch), batch);
  // Every suite, and the largest SSRC list.
  for (SrtpSuite suite : {SrtpSuite::kAesCm128HmacSha1_80, SrtpSuite::kAesCm128HmacSha1_32,
                          SrtpSuite::kAeadAes128Gcm, SrtpSuite::kAeadAes256Gcm}) {
    SessionAdd one = sample_session();
    SrtpParams p = srtp(suite, 0x55);
    p.replay_window = kMaxSrtpReplayWindow;
    p.ssrc_count = kMaxSrtpSsrcs;
    for (size_t i = 0; i < kMaxSrtpSsrcs; ++i) p.ssrcs[i] = static_cast<uint32_t>(i + 1);
    one.legs[1].srtp_in = p;
    const SessionAdd back = round_trip(one);
    EXPECT_EQ(back, one) << to_string(suite);
    ASSERT_TRUE(back.legs[1].srtp_in.has_value());
    EXPECT_EQ(back.legs[1].srtp_in->key.size(), srtp_key_salt_length(suite));
    EXPECT_FALSE(back.legs[1].srtp_out.has_value());
  }
}

// An empty key asks the dataplane to keep its context (a call adopted after an sbcd restart).
TEST(ControlProtocolSrtp, EmptyKeyMeansKeepAndRoundTrips) {
  SessionAdd keep = srtp_session();
  keep.legs[0].srtp_in->key = SrtpKey{};
  keep.legs[1].srtp_out->key = SrtpKey{};
  const SessionAdd back = round_trip(keep);
  EXPECT_EQ(back, keep);
  ASSERT_TRUE(back.legs[0].srtp_in.has_value());
  EXPECT_TRUE(back.legs[0].srtp_in->key.empty());
  EXPECT_EQ(back.legs[0].srtp_in->suite, SrtpSuite::kAesCm128HmacSha1_80);
  EXPECT_EQ(back.legs[0].srtp_out->key.size(), 44U);  // untouched: carried
}

// The SRTP params of leg 0's srtp_in in srtp_session()'s encoding: right after leg 0's plain
// fields (port, 3 addresses, 3 ports) and its presence flag.
constexpr size_t kLeg0SrtpIn = kHeaderSize + 8 + 4 + 4 + 1 + 17 + 2 + 17 + 2 + 2 + 17 + 1;

TEST(ControlProtocolSrtp, WireLayoutOfOneSrtpParams) {
  const auto bytes = *encode(1, Message{srtp_session()});
  EXPECT_EQ(bytes[kLeg0SrtpIn - 1], 1);   // present
  EXPECT_EQ(bytes[kLeg0SrtpIn], 1);       // kAesCm128HmacSha1_80
  EXPECT_EQ(bytes[kLeg0SrtpIn + 1], 30);  // key length
  EXPECT_EQ(bytes[kLeg0SrtpIn + 2], 0xA0);
  EXPECT_EQ(bytes[kLeg0SrtpIn + 2 + 30], 128);       // replay window, u32 LE
  EXPECT_EQ(bytes[kLeg0SrtpIn + 2 + 30 + 4], 2);     // SSRC count
  EXPECT_EQ(bytes[kLeg0SrtpIn + 2 + 30 + 5], 0x44);  // first SSRC, LE
}

// Rewrites one byte of an encoded message (its length field stays right) and decodes it.
std::expected<Envelope, DecodeError> decode_patched(std::vector<uint8_t> bytes, size_t at,
                                                    uint8_t value) {
  bytes[at] = value;
  return decode(bytes);
}

TEST(ControlProtocolSrtp, MalformedSrtpParamsAreDecodeErrors) {
  const auto good = *encode(1, Message{srtp_session()});
  ASSERT_TRUE(decode(good).has_value());
  // Unknown suites.
  EXPECT_EQ(decode_patched(good, kLeg0SrtpIn, 0).error(), DecodeError::kBadField);
  EXPECT_EQ(decode_patched(good, kLeg0SrtpIn, 5).error(), DecodeError::kBadField);
  // A key length that is not the suite's: AES-CM wants 30; 28 (a GCM-128 length) and 44 are not.
  EXPECT_EQ(decode_patched(good, kLeg0SrtpIn + 1, 28).error(), DecodeError::kBadField);
  EXPECT_EQ(decode_patched(good, kLeg0SrtpIn + 1, 44).error(), DecodeError::kBadField);
  EXPECT_EQ(decode_patched(good, kLeg0SrtpIn + 1, 255).error(), DecodeError::kBadField);
  // The suite says GCM-256 (44) while 30 bytes follow.
  EXPECT_EQ(decode_patched(good, kLeg0SrtpIn, 4).error(), DecodeError::kBadField);
  // Presence flag neither 0 nor 1.
  EXPECT_EQ(decode_patched(good, kLeg0SrtpIn - 1, 2).error(), DecodeError::kBadField);
  // Replay window below RFC 4568's minimum of 64 (and not 0).
  EXPECT_EQ(decode_patched(good, kLeg0SrtpIn + 2 + 30, 63).error(), DecodeError::kBadField);
  // Replay window above the maximum: byte 2 of the u32.
  EXPECT_EQ(decode_patched(good, kLeg0SrtpIn + 2 + 30 + 2, 1).error(), DecodeError::kBadField);
  // More SSRCs than kMaxSrtpSsrcs.
  EXPECT_EQ(decode_patched(good, kLeg0SrtpIn + 2 + 30 + 4, kMaxSrtpSsrcs + 1).error(),
            DecodeError::kBadField);
  // Truncated inside the key: the header length matches the shortened packet.
  std::vector<uint8_t> cut(good.begin(), good.begin() + kLeg0SrtpIn + 10);
  const uint32_t n = static_cast<uint32_t>(cut.size());
  for (size_t i = 0; i < 4; ++i) cut[8 + i] = static_cast<uint8_t>(n >> (8 * i));
  EXPECT_EQ(decode(cut).error(), DecodeError::kTruncated);
  // A present flag turned off leaves the params' bytes as trailing garbage.
  EXPECT_FALSE(decode_patched(good, kLeg0SrtpIn - 1, 0).has_value());
}

TEST(ControlProtocolSrtp, EncodeRefusesWhatDecodeWould) {
  SessionAdd wrong_length = sample_session();
  wrong_length.legs[0].srtp_in = srtp(SrtpSuite::kAesCm128HmacSha1_80, 1);
  wrong_length.legs[0].srtp_in->key = SrtpKey::from_bytes(key_bytes(44, 1));
  EXPECT_EQ(encode(1, Message{wrong_length}).error(), EncodeError::kBadField);
  SessionAdd bad_window = srtp_session();
  bad_window.legs[0].srtp_in->replay_window = 10;
  EXPECT_EQ(encode(1, Message{bad_window}).error(), EncodeError::kBadField);
  SessionAdd many = srtp_session();
  many.legs[0].srtp_in->ssrc_count = kMaxSrtpSsrcs + 1;
  EXPECT_EQ(encode(1, Message{many}).error(), EncodeError::kBadField);
  SessionAdd bad_suite = srtp_session();
  bad_suite.legs[0].srtp_out->suite = static_cast<SrtpSuite>(0);
  EXPECT_EQ(encode(1, Message{bad_suite}).error(), EncodeError::kBadField);
}

// The dump is the only way a SessionAdd leaves the dataplane: it carries the suite, replay
// window and SSRCs, never a key byte.
TEST(ControlProtocolSrtp, DumpNeverExportsKeys) {
  const SessionAdd add = srtp_session();
  DumpReply dump;
  dump.sessions.push_back(SessionInfo{add, {}});
  const auto bytes = *encode(3, Message{dump});
  const auto session_bytes = *encode(3, Message{add});
  for (const auto& leg : add.legs) {
    for (const auto* p : {&leg.srtp_in, &leg.srtp_out}) {
      if (!p->has_value()) continue;
      const auto key = std::vector<uint8_t>((*p)->key.bytes().begin(), (*p)->key.bytes().end());
      EXPECT_TRUE(contains(session_bytes, key));  // the check can fail
      EXPECT_FALSE(contains(bytes, key));
      // No 8-byte run of the key either.
      EXPECT_FALSE(contains(bytes, std::vector<uint8_t>(key.begin() + 8, key.begin() + 16)));
    }
  }
  const auto env = decode(bytes);
  ASSERT_TRUE(env.has_value());
  const auto& back = std::get<DumpReply>(env->message).sessions.at(0).spec;
  ASSERT_TRUE(back.legs[0].srtp_in.has_value());
  EXPECT_TRUE(back.legs[0].srtp_in->key.empty());
  EXPECT_EQ(back.legs[0].srtp_in->suite, SrtpSuite::kAesCm128HmacSha1_80);
  EXPECT_EQ(back.legs[0].srtp_in->replay_window, 128U);
  EXPECT_EQ(back.legs[0].srtp_in->ssrc_count, 2);
  EXPECT_EQ(back.legs[0].srtp_in->ssrcs[1], 0xDEADBEEF);
  ASSERT_TRUE(back.legs[0].srtp_out.has_value());
  EXPECT_EQ(to_string(back.legs[0].srtp_out->suite), "AEAD_AES_256_GCM");
  EXPECT_TRUE(back.legs[0].srtp_out->key.empty());
  EXPECT_FALSE(back.legs[1].srtp_in.has_value());
  // A dump entry that carries key bytes is malformed: give the dumped srtp_in (AES-CM, key
  // length 0) its 30-byte length and the dump no longer decodes.
  auto patched = bytes;
  const size_t dump_leg0 = kHeaderSize + 2 + (kLeg0SrtpIn - kHeaderSize);
  ASSERT_EQ(patched[dump_leg0], 1);      // suite
  ASSERT_EQ(patched[dump_leg0 + 1], 0);  // no key
  patched[dump_leg0 + 1] = 30;
  EXPECT_FALSE(decode(patched).has_value());
}

// The dataplane answers a dump with at most 64 sessions: a page of the largest sessions (SRTP both
// ways with every SSRC, every counter at its widest) must encode.
TEST(ControlProtocolTest, FullDumpPageOfLargestSessionsFits) {
  DumpReply reply;
  SessionInfo info;
  info.spec.session_id = UINT64_MAX;
  for (auto& leg : info.spec.legs) {
    leg.local = Address::parse("2001:db8::1");
    leg.remote = Address::parse("2001:db8::2");
    leg.signalling_source = Address::parse("2001:db8::3");
    SrtpParams p;
    p.ssrc_count = kMaxSrtpSsrcs;
    leg.srtp_in = p;
    leg.srtp_out = p;
  }
  for (auto& l : info.stats) {
    l.rtp.latched = Address::parse("2001:db8::4");
    l.rtcp.latched = Address::parse("2001:db8::4");
  }
  reply.sessions.assign(64, info);
  reply.next_cursor = 1;
  EXPECT_TRUE(encode(1, Message{reply}).has_value());
}

}  // namespace
}  // namespace sbc::api

namespace sbc::api {
namespace {

SessionAdd transcoded_session() {
  SessionAdd add = sample_session();
  add.legs[0].codec = LegCodec{MediaCodec::kPcmu, 0, 20, 13, 101};
  add.legs[1].codec = LegCodec{MediaCodec::kOpus, 111, 40, std::nullopt, 96};
  return add;
}

TEST(ControlProtocolCodec, CodecsHaveWireValuesNamesAndClocks) {
  EXPECT_EQ(static_cast<uint8_t>(MediaCodec::kPcmu), 1);
  EXPECT_EQ(static_cast<uint8_t>(MediaCodec::kG729), 5);
  EXPECT_EQ(to_string(MediaCodec::kG722), "G722");
  EXPECT_EQ(media_codec_from_name("pcma"), MediaCodec::kPcma);
  EXPECT_EQ(media_codec_from_name("OPUS"), MediaCodec::kOpus);
  EXPECT_EQ(media_codec_from_name("G729"), MediaCodec::kG729);
  EXPECT_FALSE(media_codec_from_name("GSM").has_value());
  EXPECT_FALSE(media_codec_from_name("PCM").has_value());
  EXPECT_EQ(rtp_clock(MediaCodec::kG722), 8000U);  // RFC 3551's historical 8000
  EXPECT_EQ(rtp_clock(MediaCodec::kOpus), 48000U);
}

TEST(ControlProtocolCodec, LegCodecsRoundTripAndUnsetStaysUnset) {
  const SessionAdd add = transcoded_session();
  const SessionAdd back = round_trip(add);
  EXPECT_EQ(back, add);
  ASSERT_TRUE(back.legs[1].codec.has_value());
  EXPECT_FALSE(back.legs[1].codec->cn_payload_type.has_value());
  EXPECT_EQ(back.legs[1].codec->telephone_event_payload_type, 96);
  EXPECT_FALSE(round_trip(sample_session()).legs[0].codec.has_value());

  DumpReply dump;
  dump.sessions.push_back(SessionInfo{add, {}});
  EXPECT_EQ(round_trip(dump).sessions[0].spec.legs[1].codec, add.legs[1].codec);
}

TEST(ControlProtocolCodec, OutOfDomainCodecsAreRefusedBothWays) {
  SessionAdd bad_ptime = transcoded_session();
  bad_ptime.legs[0].codec->ptime_ms = 25;
  EXPECT_EQ(encode(1, Message{bad_ptime}).error(), EncodeError::kBadField);
  SessionAdd bad_pt = transcoded_session();
  bad_pt.legs[1].codec->payload_type = 128;
  EXPECT_EQ(encode(1, Message{bad_pt}).error(), EncodeError::kBadField);
  SessionAdd bad_te = transcoded_session();
  bad_te.legs[1].codec->telephone_event_payload_type = 200;
  EXPECT_EQ(encode(1, Message{bad_te}).error(), EncodeError::kBadField);
  SessionAdd bad_codec = transcoded_session();
  bad_codec.legs[0].codec->codec = static_cast<MediaCodec>(9);
  EXPECT_EQ(encode(1, Message{bad_codec}).error(), EncodeError::kBadField);

  // The same values forged on the wire: the codec id sits after leg 0's fixed fields and SRTP
  // flags, so find it by encoding a valid session and patching the byte that differs.
  SessionAdd a = transcoded_session();
  SessionAdd b = transcoded_session();
  b.legs[0].codec->ptime_ms = 10;
  auto wire_a = *encode(1, Message{a});
  const auto wire_b = *encode(1, Message{b});
  ASSERT_EQ(wire_a.size(), wire_b.size());
  size_t ptime_at = 0;
  for (size_t i = 0; i < wire_a.size(); ++i) {
    if (wire_a[i] != wire_b[i]) ptime_at = i;
  }
  ASSERT_NE(ptime_at, 0U);
  wire_a[ptime_at] = 25;
  EXPECT_EQ(decode(wire_a).error(), DecodeError::kBadField);
  wire_a[ptime_at] = 20;
  wire_a[ptime_at - 2] = 0;  // codec id 0
  EXPECT_EQ(decode(wire_a).error(), DecodeError::kBadField);
  wire_a[ptime_at - 2] = static_cast<uint8_t>(MediaCodec::kPcmu);
  wire_a[ptime_at - 1] = 0x80;  // payload type 128
  EXPECT_EQ(decode(wire_a).error(), DecodeError::kBadField);
}

}  // namespace
}  // namespace sbc::api
