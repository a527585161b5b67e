// Writes one encoded example of every control protocol message type into a directory: the seed
// corpus of control_protocol_fuzz, generated so it always follows the current encoding.
//   control_protocol_seeds DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "api/control_protocol.h"

namespace {

namespace api = sbc::api;

api::LegSpec leg(uint8_t port, const char* local, uint16_t local_port, const char* remote,
                 uint16_t remote_port) {
  api::LegSpec l;
  l.port = port;
  l.local = api::Address::parse(local);
  l.local_rtp_port = local_port;
  l.remote = api::Address::parse(remote);
  l.remote_rtp_port = remote_port;
  l.signalling_source = l.remote;
  return l;
}

api::SessionAdd session(uint64_t id) {
  api::SessionAdd s;
  s.session_id = id;
  s.media_timeout_ms = 60000;
  s.latch_window_ms = 2000;
  s.legs = {leg(0, "192.0.2.1", 20000, "192.0.2.10", 4000),
            leg(1, "198.51.100.1", 20002, "2001:db8::10", 0)};
  s.max_packet_rate = 250;
  return s;
}

api::SrtpParams srtp(api::SrtpSuite suite, uint8_t first) {
  std::vector<uint8_t> key(api::srtp_key_salt_length(suite));
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(first + i);
  api::SrtpParams p;
  p.suite = suite;
  p.key = api::SrtpKey::from_bytes(key);
  return p;
}

// SRTP on both directions of leg 0 (AES-CM-80 in with WSH and SSRCs, GCM-256 out), GCM-128 out
// on leg 1.
api::SessionAdd srtp_session(uint64_t id) {
  api::SessionAdd s = session(id);
  api::SrtpParams in = srtp(api::SrtpSuite::kAesCm128HmacSha1_80, 0x20);
  in.replay_window = 128;
  in.ssrc_count = 2;
  in.ssrcs[0] = 0x11223344;
  in.ssrcs[1] = 0x55667788;
  s.legs[0].srtp_in = in;
  s.legs[0].srtp_out = srtp(api::SrtpSuite::kAeadAes256Gcm, 0x60);
  s.legs[1].srtp_out = srtp(api::SrtpSuite::kAeadAes128Gcm, 0x90);
  return s;
}

api::StreamStats stream(uint64_t packets) {
  api::StreamStats s;
  s.packets = packets;
  s.bytes = packets * 172;
  s.dropped = 3;
  s.idle_ms = 20;
  s.latched = api::Address::parse("192.0.2.10");
  s.latched_port = 4000;
  return s;
}

std::vector<api::Message> examples() {
  api::HelloReply hello_reply;
  hello_reply.peer_name = "sbc-dataplane";
  hello_reply.ports = {
      {0, "access", api::Address::parse("192.0.2.1"), 24, {2, 0, 0, 0, 0, 1}, true},
      {1, "trunk", api::Address::parse("2001:db8::1"), 64, {2, 0, 0, 0, 0, 2}, false}};
  hello_reply.max_sessions = 65536;

  api::StatsReply totals;
  totals.active_sessions = 2;
  api::PortStats port;
  port.name = "access";
  port.rx_packets = 1000;
  port.to_kernel = 12;
  totals.ports = {port};
  totals.drops = {{"no_session", 5}, {"bad_checksum", 1}};
  totals.events = {{"latch_learned", 2}};
  totals.banned_sources = 3;
  totals.trusted_sources = 40;

  api::StatsReply one;
  one.session_id = 7;
  one.legs = {{stream(500), stream(10)}, {stream(480), {}}};

  api::DumpReply dump;
  dump.sessions = {{session(7), {{{stream(500), stream(10)}, {stream(480), {}}}}}};
  dump.next_cursor = 8;
  api::DumpReply srtp_dump;  // keys are not dumped: the suites and parameters are
  srtp_dump.sessions = {{srtp_session(9), {}}};

  return {
      api::Hello{api::kProtocolVersion, api::kMaxMessageSize, "sbcd"},
      hello_reply,
      api::Result{api::Status::kNotFound, "no session 9"},
      session(7),
      api::SessionDelete{7},
      api::StatsQuery{0},
      totals,
      one,
      api::DumpQuery{0, api::kMaxDumpEntries},
      dump,
      api::MediaTimeoutEvent{7, 60000},
      api::SourceAdd{api::Address::parse("203.0.113.66"), api::SourceClass::kBanned, 600000},
      api::SourceAdd{api::Address::parse("2001:db8::66"), api::SourceClass::kTrusted, 0},
      api::SourceAdd{api::Address::parse("::ffff:192.0.2.66"), api::SourceClass::kBanned, 1},
      api::SourceDelete{api::Address::parse("203.0.113.66")},
      api::SourceFlush{},
      api::MediaPortsSet{20000, 29999},
      api::MediaPortsSet{0, 0},
      api::Batch{
          {session(7), api::SessionDelete{8},
           api::SourceAdd{api::Address::parse("203.0.113.66"), api::SourceClass::kBanned, 600000},
           api::SourceDelete{api::Address::parse("2001:db8::66")}}},
      api::BatchReply{{api::Result{}, api::Result{api::Status::kNotFound, "no such session"},
                       api::Result{}, api::Result{api::Status::kInvalid, ""}}},
      srtp_session(9),
      srtp_dump,
      api::Batch{{srtp_session(9), api::SessionDelete{7}}},
  };
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 64;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  uint32_t request_id = 1;
  for (const auto& message : examples()) {
    auto bytes = api::encode(request_id, message);
    if (!bytes) {
      std::fprintf(stderr, "cannot encode %s\n",
                   std::string(api::to_string(api::type_of(message))).c_str());
      return 1;
    }
    const auto name =
        std::to_string(request_id) + "_" + std::string(api::to_string(api::type_of(message)));
    std::ofstream out(dir / name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes->data()),
              static_cast<std::streamsize>(bytes->size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
      return 1;
    }
    ++request_id;
  }
  return 0;
}
