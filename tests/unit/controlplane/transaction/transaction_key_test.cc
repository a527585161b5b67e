// The matching keys of RFC 3261 §17.1.3 and §17.2.3 (transaction_key.cc), as values: which
// messages share a key and which do not.
#include "controlplane/transaction/transaction_key.h"

#include <gtest/gtest.h>

#include "tests/unit/controlplane/transaction/transaction_fixture.h"

namespace sbc::cp::testing {
namespace {

std::optional<ServerKey> key_of(const std::string& text, size_t zone = 0) {
  return server_key(zone, parse_message(text));
}

std::string key_text(const std::string& text, size_t zone = 0) {
  auto key = key_of(text, zone);
  EXPECT_TRUE(key.has_value()) << text;
  return key ? key->key : std::string();
}

TEST(MethodKeyTest, KnownMethodsByNameOthersByTheirText) {
  EXPECT_EQ(method_key(sip::Method::kInvite, "INVITE"), "INVITE");
  EXPECT_EQ(method_key(sip::Method::kBye, "BYE"), "BYE");
  EXPECT_EQ(method_key(sip::Method::kOther, "FOO"), "FOO");
  EXPECT_NE(method_key(sip::Method::kOther, "FOO"), method_key(sip::Method::kOther, "BAR"));
}

TEST(ClientKeyTest, BranchAndMethod) {
  EXPECT_EQ(client_key("z9hG4bK-1", "INVITE"), "z9hG4bK-1|INVITE");
  EXPECT_NE(client_key("z9hG4bK-1", "INVITE"), client_key("z9hG4bK-1", "CANCEL"));
}

TEST(ClientKeyTest, ResponsesMatchByTopViaBranchAndCSeqMethod) {
  const std::string invite = request("INVITE", udp_via("z9hG4bK-c"));
  EXPECT_EQ(client_key_of_response(parse_message(response(invite, 180))),
            client_key("z9hG4bK-c", "INVITE"));
  const std::string cancel = request("CANCEL", udp_via("z9hG4bK-c"));
  EXPECT_EQ(client_key_of_response(parse_message(response(cancel, 200))),
            client_key("z9hG4bK-c", "CANCEL"));
  const std::string info = request("FOO", udp_via("z9hG4bK-c"));
  EXPECT_EQ(client_key_of_response(parse_message(response(info, 200))),
            client_key("z9hG4bK-c", "FOO"));
  // Without a branch, a Via or a CSeq nothing can be matched.
  const std::string no_branch = request("BYE", "SIP/2.0/UDP 192.0.2.10:5060");
  EXPECT_EQ(client_key_of_response(parse_message(response(no_branch, 200))), std::nullopt);
  EXPECT_EQ(client_key_of_response(parse_message("SIP/2.0 200 OK\r\nCSeq: 1 BYE\r\n"
                                                 "Content-Length: 0\r\n\r\n")),
            std::nullopt);
  EXPECT_EQ(client_key_of_response(
                parse_message("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-x\r\n"
                              "Content-Length: 0\r\n\r\n")),
            std::nullopt);
}

TEST(ServerKeyTest, AckSharesItsInvitesKeyCancelHasItsOwn) {
  const std::string via = udp_via("z9hG4bK-s");
  const auto invite = key_of(request("INVITE", via));
  ASSERT_TRUE(invite.has_value());
  EXPECT_FALSE(invite->rfc2543);
  EXPECT_EQ(key_text(request("ACK", via, 1, "ACK", "tt")), invite->key);
  EXPECT_NE(key_text(request("CANCEL", via)), invite->key);
  EXPECT_NE(key_text(request("BYE", via)), invite->key);
  EXPECT_NE(key_text(request("BYE", via)), key_text(request("FOO", via)));
}

TEST(ServerKeyTest, SentByAndZoneTellTransactionsApart) {
  const std::string base =
      key_text(request("BYE", "SIP/2.0/UDP host.example:5060;branch=z9hG4bK-1"));
  // The host is case-insensitive.
  EXPECT_EQ(key_text(request("BYE", "SIP/2.0/UDP HOST.Example:5060;branch=z9hG4bK-1")), base);
  // Parameters other than the branch do not count.
  EXPECT_EQ(key_text(request("BYE", "SIP/2.0/UDP host.example:5060;rport;branch=z9hG4bK-1")), base);
  // Another port, no port, another host, another branch, another zone: another transaction.
  EXPECT_NE(key_text(request("BYE", "SIP/2.0/UDP host.example:5070;branch=z9hG4bK-1")), base);
  EXPECT_NE(key_text(request("BYE", "SIP/2.0/UDP host.example;branch=z9hG4bK-1")), base);
  EXPECT_NE(key_text(request("BYE", "SIP/2.0/UDP other.example:5060;branch=z9hG4bK-1")), base);
  EXPECT_NE(key_text(request("BYE", "SIP/2.0/UDP host.example:5060;branch=z9hG4bK-2")), base);
  EXPECT_NE(key_text(request("BYE", "SIP/2.0/UDP host.example:5060;branch=z9hG4bK-1"), 1), base);
}

// Without the magic cookie (RFC 2543), the request's identifying fields make the key.
TEST(ServerKeyTest, Rfc2543RequestsAreKeyedByTheirFields) {
  const std::string via = "SIP/2.0/UDP 192.0.2.10:5060;branch=old-style";
  const auto invite = key_of(request("INVITE", via, 5));
  ASSERT_TRUE(invite.has_value());
  EXPECT_TRUE(invite->rfc2543);
  EXPECT_EQ(key_text(request("INVITE", via, 5)), invite->key);
  EXPECT_EQ(key_text(request("ACK", via, 5, "ACK", "tag")), invite->key);
  EXPECT_NE(key_text(request("INVITE", via, 6)), invite->key);
  EXPECT_NE(key_text(request("CANCEL", via, 5)), invite->key);
  EXPECT_NE(key_text(request("INVITE", "SIP/2.0/UDP 192.0.2.10:5060")), invite->key);
  EXPECT_TRUE(key_of(request("INVITE", "SIP/2.0/UDP 192.0.2.10:5060"))->rfc2543);
  std::string other_call = request("INVITE", via, 5);
  other_call.replace(other_call.find("tx-test@"), 8, "another@");
  EXPECT_NE(key_text(other_call), invite->key);
  std::string other_from = request("INVITE", via, 5);
  other_from.replace(other_from.find("tag=ft"), 6, "tag=fx");
  EXPECT_NE(key_text(other_from), invite->key);
  std::string other_uri = request("INVITE", via, 5);
  other_uri.replace(other_uri.find("sip:bob@"), 8, "sip:ann@");
  EXPECT_NE(key_text(other_uri), invite->key);
  EXPECT_NE(key_text(request("INVITE", via, 5), 1), invite->key);
}

TEST(ServerKeyTest, NoUsableViaNoKey) {
  EXPECT_EQ(key_of("OPTIONS sip:x@y SIP/2.0\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"),
            std::nullopt);
  EXPECT_EQ(key_of("OPTIONS sip:x@y SIP/2.0\r\nVia: nonsense\r\nCSeq: 1 OPTIONS\r\n"
                   "Content-Length: 0\r\n\r\n"),
            std::nullopt);
}

TEST(ToTagTest, TheTagOrNothing) {
  EXPECT_EQ(to_tag(parse_message(request("BYE", udp_via(), 1, {}, "abc"))), "abc");
  EXPECT_EQ(to_tag(parse_message(request("BYE", udp_via()))), "");
  EXPECT_EQ(to_tag(parse_message("OPTIONS sip:x@y SIP/2.0\r\nContent-Length: 0\r\n\r\n")), "");
  EXPECT_EQ(to_tag(parse_message("OPTIONS sip:x@y SIP/2.0\r\nTo: <<bad\r\n"
                                 "Content-Length: 0\r\n\r\n")),
            "");
}

}  // namespace
}  // namespace sbc::cp::testing
