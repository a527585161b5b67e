// sbc-sip-bench: SIP message layer throughput on one core. For a typical INVITE with SDP, a 200 OK
// with SDP and a REGISTER it times (a) parse + index, (b) parse + the typed accessors a B2BUA
// calls, (c) parse + an overlay edit + serialise, against a baseline measured in the same run:
// copying the same bytes into a new std::string (the copy every parse starts from, since a
// Message owns its buffer). Single thread, bounded iterations; a program, not a test.
//   sbc-sip-bench [--iterations N] [--json]
#include <fmt/format.h>
#include <time.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/sip/editor.h"
#include "controlplane/sip/message.h"

namespace {

using sbc::cp::sip::HeaderId;
using sbc::cp::sip::Message;
using sbc::cp::sip::MessageEditor;

// Keeps a value alive for the optimiser without costing anything.
template <typename T>
void keep(const T& value) {
  asm volatile("" : : "r"(&value) : "memory");
}

std::string crlf(std::initializer_list<std::string_view> lines, std::string_view body = {}) {
  std::string out;
  for (std::string_view l : lines) {
    out += l;
    out += "\r\n";
  }
  out += fmt::format("Content-Length: {}\r\n\r\n", body.size());
  out += body;
  return out;
}

const std::string kSdp =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

const std::string kInvite =
    crlf({"INVITE sip:15550002@198.51.100.10:5060 SIP/2.0",
          "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds8f7a6sd;rport",
          "Max-Forwards: 70", "To: \"Bob\" <sip:15550002@carrier.example>",
          "From: \"Alice\" <sip:15550001@pbx.example>;tag=1928301774",
          "Call-ID: a84b4c76e66710ab3e5d0f3c9a1b2c3d@192.0.2.10", "CSeq: 314159 INVITE",
          "Contact: <sip:15550001@192.0.2.10:5060;transport=udp>",
          "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK, INFO, REFER, NOTIFY",
          "Supported: replaces, timer, 100rel", "Session-Expires: 1800;refresher=uac", "Min-SE: 90",
          "User-Agent: ExamplePBX/4.2.1", "P-Asserted-Identity: <sip:15550001@pbx.example>",
          "Content-Type: application/sdp"},
         kSdp);

const std::string kOk =
    crlf({"SIP/2.0 200 OK",
          "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK5a9c3e17b0d24f6a;rport=5060",
          "To: <sip:15550002@carrier.example>;tag=a6c85cf",
          "From: <sip:15550001@198.51.100.1>;tag=93810",
          "Call-ID: 3848276298220188511@198.51.100.1", "CSeq: 1 INVITE",
          "Contact: <sip:15550002@198.51.100.10:5060>", "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS",
          "Supported: timer", "Session-Expires: 1800;refresher=uac", "Server: CarrierSBC/9.1",
          "Content-Type: application/sdp"},
         kSdp);

const std::string kRegister =
    crlf({"REGISTER sip:pbx.example SIP/2.0",
          "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds7;rport", "Max-Forwards: 70",
          "To: <sip:15550001@pbx.example>", "From: <sip:15550001@pbx.example>;tag=456248",
          "Call-ID: 843817637684230@998sdasdh09", "CSeq: 1826 REGISTER",
          "Contact: <sip:15550001@192.0.2.10:5060>;expires=3600", "Expires: 3600",
          "User-Agent: ExamplePhone/1.0"});

struct Result {
  std::string message;
  std::string mode;
  double ns_per_message = 0;
};

// CPU time of this thread: per-core throughput, unaffected by time spent descheduled when the
// machine is shared (CI runners, a loaded lab host).
double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Runs fn iterations times (after a warm-up of a tenth) and returns CPU ns per call.
double time_it(uint64_t iterations, const std::function<void()>& fn) {
  for (uint64_t i = 0; i < iterations / 10 + 1; ++i) fn();
  const double start = thread_cpu_ns();
  for (uint64_t i = 0; i < iterations; ++i) fn();
  return (thread_cpu_ns() - start) / static_cast<double>(iterations);
}

void fail(std::string_view what) {
  fmt::print(stderr, "sbc-sip-bench: {}\n", what);
  std::exit(1);
}

std::vector<Result> run(std::string_view name, const std::string& bytes, uint64_t iterations) {
  // Each mode checks its work once so a broken parser cannot produce a fast, meaningless figure.
  {
    auto m = Message::parse(bytes);
    if (!m || !m->validate()) fail(fmt::format("{} does not parse and validate", name));
  }
  std::vector<Result> out;
  out.push_back({std::string(name), "baseline copy", time_it(iterations, [&] {
                   std::string copy(bytes);
                   keep(copy);
                 })});
  out.push_back({std::string(name), "parse+index", time_it(iterations, [&] {
                   auto m = Message::parse(std::string(bytes));
                   if (!m) fail("parse failed");
                   keep(m);
                 })});
  out.push_back({std::string(name), "parse+accessors", time_it(iterations, [&] {
                   auto m = Message::parse(std::string(bytes));
                   if (!m) fail("parse failed");
                   auto via = m->top_via();
                   auto from = m->from();
                   auto to = m->to();
                   auto call_id = m->call_id();
                   auto cseq = m->cseq();
                   auto contact = m->contacts();
                   auto type = m->content_type();
                   if (!via || !from || !to || !call_id || !cseq || !contact || !type) {
                     fail("accessor failed");
                   }
                   keep(via);
                   keep(from);
                   keep(to);
                   keep(call_id);
                   keep(cseq);
                   keep(contact);
                   keep(type);
                 })});
  out.push_back({std::string(name), "parse+edit+serialise", time_it(iterations, [&] {
                   auto m = Message::parse(std::string(bytes));
                   if (!m) fail("parse failed");
                   MessageEditor e(std::move(*m));
                   e.prepend(HeaderId::kVia,
                             "SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKbench0000000001;rport");
                   e.replace(HeaderId::kContact, "<sip:sbc@198.51.100.1:5060>");
                   e.remove(HeaderId::kUserAgent);
                   e.remove(HeaderId::kPAssertedIdentity);
                   std::string wire = e.serialize();
                   keep(wire);
                 })});
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t iterations = 200'000;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--json") {
      json = true;
    } else if (arg == "--iterations" && i + 1 < argc) {
      char* end = nullptr;
      iterations = std::strtoull(argv[++i], &end, 10);
      if (end == nullptr || *end != '\0' || iterations == 0 || iterations > 1'000'000'000) {
        fail("--iterations takes a number from 1 to 1000000000");
      }
    } else {
      fmt::print(stderr, "usage: sbc-sip-bench [--iterations N] [--json]\n");
      return 64;
    }
  }
  std::vector<Result> results;
  for (const auto& [name, bytes] :
       {std::pair<std::string_view, const std::string*>{"INVITE", &kInvite},
        {"200 OK", &kOk},
        {"REGISTER", &kRegister}}) {
    auto r = run(name, *bytes, iterations);
    results.insert(results.end(), r.begin(), r.end());
  }
  if (json) {
    fmt::print(
        "{{\"iterations\": {}, \"sizes\": {{\"INVITE\": {}, \"200 OK\": {}, \"REGISTER\": {}}}, "
        "\"results\": [",
        iterations, kInvite.size(), kOk.size(), kRegister.size());
    for (size_t i = 0; i < results.size(); ++i) {
      fmt::print(
          "{}{{\"message\": \"{}\", \"mode\": \"{}\", \"ns_per_message\": {:.1f}, "
          "\"messages_per_second\": {:.0f}}}",
          i == 0 ? "" : ", ", results[i].message, results[i].mode, results[i].ns_per_message,
          1e9 / results[i].ns_per_message);
    }
    fmt::print("]}}\n");
    return 0;
  }
  fmt::print(
      "sbc-sip-bench: {} iterations per row, thread CPU time; sizes INVITE {} B, 200 OK {} B, "
      "REGISTER {} B\n",
      iterations, kInvite.size(), kOk.size(), kRegister.size());
  fmt::print("{:<10} {:<22} {:>10} {:>14}\n", "message", "mode", "ns/msg", "msgs/s/core");
  for (const auto& r : results) {
    fmt::print("{:<10} {:<22} {:>10.1f} {:>14.0f}\n", r.message, r.mode, r.ns_per_message,
               1e9 / r.ns_per_message);
  }
  return 0;
}
