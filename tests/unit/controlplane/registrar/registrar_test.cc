#include "controlplane/registrar/registrar.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "controlplane/sip/message.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using TimePoint = Registrar::TimePoint;

const TimePoint kT0 = TimePoint{} + 1000h;
const auto kWall = std::chrono::system_clock::time_point{} + 20000h;

// A REGISTER as a phone would send it; fields left at their defaults are what alice's phone at
// 192.0.2.10:5060 (no NAT) sends.
class Register {
 public:
  Register& to_user(std::string v) {
    to_user_ = std::move(v);
    return *this;
  }
  Register& contacts(std::vector<std::string> v) {
    contacts_ = std::move(v);
    return *this;
  }
  Register& expires(std::string v) {
    expires_ = std::move(v);
    return *this;
  }
  Register& call_id(std::string v) {
    call_id_ = std::move(v);
    return *this;
  }
  Register& cseq(uint32_t v) {
    cseq_ = v;
    return *this;
  }
  Register& via_sent_by(std::string v) {
    via_sent_by_ = std::move(v);
    return *this;
  }
  Register& via_params(std::string v) {
    via_params_ = std::move(v);
    return *this;
  }

  sip::Message build() const {
    std::string t = "REGISTER sip:sbc.example SIP/2.0\r\n";
    t += "Via: SIP/2.0/UDP " + via_sent_by_ + ";branch=z9hG4bK" + std::to_string(cseq_) +
         via_params_ + "\r\n";
    t += "Max-Forwards: 70\r\n";
    t += "From: <sip:" + to_user_ + "@sbc.example>;tag=abc\r\n";
    t += "To: <sip:" + to_user_ + "@sbc.example>\r\n";
    t += "Call-ID: " + call_id_ + "\r\n";
    t += "CSeq: " + std::to_string(cseq_) + " REGISTER\r\n";
    for (const auto& c : contacts_) t += "Contact: " + c + "\r\n";
    if (expires_) t += "Expires: " + *expires_ + "\r\n";
    t += "User-Agent: TestPhone/1.0\r\n";
    t += "Content-Length: 0\r\n\r\n";
    auto m = sip::Message::parse(std::move(t));
    EXPECT_TRUE(m.has_value());
    return std::move(*m);
  }

 private:
  std::string to_user_ = "alice";
  std::vector<std::string> contacts_ = {"<sip:alice@192.0.2.10:5060>"};
  std::optional<std::string> expires_;
  std::string call_id_ = "reg-1";
  uint32_t cseq_ = 1;
  std::string via_sent_by_ = "192.0.2.10:5060";
  std::string via_params_;
};

SipPeer peer(std::string_view address, uint16_t port, Transport transport = Transport::kUdp) {
  SipPeer p;
  p.zone = 1;
  p.transport = transport;
  p.remote = Endpoint(boost::asio::ip::make_address(std::string(address)), port);
  p.local = Endpoint(boost::asio::ip::make_address("192.0.2.1"), 5060);
  p.connection = transport == Transport::kUdp ? 0 : 42;
  return p;
}

const SipPeer kPhone = peer("192.0.2.10", 5060);

class RegistrarTest : public ::testing::Test {
 protected:
  RegisterResult reg(const Register& r, TimePoint now = kT0, const SipPeer& from = kPhone,
                     std::string_view user = "alice") {
    return registrar_.on_register(user, from, r.build(), now, kWall);
  }
  std::vector<std::string> contacts_of(std::string_view user, TimePoint now = kT0) const {
    std::vector<std::string> out;
    for (const Binding* b : registrar_.lookup(user, now)) out.push_back(b->contact);
    return out;
  }

  RegistrarConfig config_{.min_expires = 60,
                          .max_expires = 3600,
                          .default_expires = 1800,
                          .nat_expires = 30,
                          .max_contacts = 3,
                          .max_bindings = 10};
  Registrar registrar_{config_};
};

TEST_F(RegistrarTest, AddBinding) {
  const auto r = reg(Register().expires("600"));
  EXPECT_EQ(r.code, 200);
  EXPECT_EQ(r.contacts, std::vector<std::string>{"<sip:alice@192.0.2.10:5060>;expires=600"});
  const auto found = registrar_.lookup("alice", kT0);
  ASSERT_EQ(found.size(), 1u);
  const Binding& b = *found[0];
  EXPECT_EQ(b.user, "alice");
  EXPECT_EQ(b.contact, "sip:alice@192.0.2.10:5060");
  EXPECT_EQ(b.peer.remote, kPhone.remote);
  EXPECT_EQ(b.peer.zone, 1u);
  EXPECT_EQ(b.call_id, "reg-1");
  EXPECT_EQ(b.cseq, 1u);
  EXPECT_EQ(b.expires, kT0 + 600s);
  EXPECT_EQ(b.registered, kWall);
  EXPECT_FALSE(b.nated);
  EXPECT_EQ(b.user_agent, "TestPhone/1.0");
  EXPECT_EQ(registrar_.size(), 1u);
  EXPECT_TRUE(registrar_.lookup("bob", kT0).empty());
}

TEST_F(RegistrarTest, RefreshUpdatesTheBinding) {
  ASSERT_EQ(reg(Register().expires("600")).code, 200);
  const auto r = reg(Register().expires("1200").cseq(2), kT0 + 500s);
  EXPECT_EQ(r.code, 200);
  EXPECT_EQ(r.contacts, std::vector<std::string>{"<sip:alice@192.0.2.10:5060>;expires=1200"});
  ASSERT_EQ(registrar_.lookup("alice", kT0).size(), 1u);
  EXPECT_EQ(registrar_.lookup("alice", kT0)[0]->expires, kT0 + 1700s);
  EXPECT_EQ(registrar_.size(), 1u);
}

TEST_F(RegistrarTest, RemoveWithExpiresZero) {
  ASSERT_EQ(reg(Register()).code, 200);
  const auto by_param = reg(Register().contacts({"<sip:alice@192.0.2.10:5060>;expires=0"}).cseq(2));
  EXPECT_EQ(by_param.code, 200);
  EXPECT_TRUE(by_param.contacts.empty());
  EXPECT_EQ(registrar_.size(), 0u);

  ASSERT_EQ(reg(Register().cseq(3)).code, 200);
  EXPECT_EQ(reg(Register().expires("0").cseq(4)).code, 200);
  EXPECT_TRUE(registrar_.lookup("alice", kT0).empty());
  EXPECT_EQ(registrar_.size(), 0u);
}

TEST_F(RegistrarTest, WildcardRemovesAll) {
  ASSERT_EQ(reg(Register()
                    .contacts({"<sip:alice@192.0.2.10:5060>", "<sip:alice@192.0.2.10:5062>"})
                    .call_id("a"))
                .code,
            200);
  ASSERT_EQ(reg(Register().contacts({"<sip:alice@192.0.2.10:5064>"}).call_id("b")).code, 200);
  ASSERT_EQ(registrar_.size(), 3u);

  // Contact: * needs Expires: 0.
  EXPECT_EQ(reg(Register().contacts({"*"}).call_id("c")).code, 400);
  EXPECT_EQ(reg(Register().contacts({"*"}).expires("60").call_id("c")).code, 400);
  EXPECT_EQ(registrar_.size(), 3u);

  const auto r = reg(Register().contacts({"*"}).expires("0").call_id("c"));
  EXPECT_EQ(r.code, 200);
  EXPECT_TRUE(r.contacts.empty());
  EXPECT_EQ(registrar_.size(), 0u);
}

TEST_F(RegistrarTest, WildcardKeepsBindingsOfAnOlderRequestOfTheSameCallId) {
  ASSERT_EQ(reg(Register().cseq(5)).code, 200);
  const auto r = reg(Register().contacts({"*"}).expires("0").cseq(4));
  EXPECT_EQ(r.code, 200);
  EXPECT_EQ(r.contacts.size(), 1u);
  EXPECT_EQ(registrar_.size(), 1u);
}

TEST_F(RegistrarTest, IntervalTooBriefIs423) {
  const auto r = reg(Register().expires("30"));
  EXPECT_EQ(r.code, 423);
  EXPECT_EQ(r.min_expires, 60u);
  EXPECT_EQ(registrar_.size(), 0u);
  // One brief contact fails the whole request.
  const auto mixed = reg(Register().contacts(
      {"<sip:alice@192.0.2.10:5060>", "<sip:alice@192.0.2.10:5062>;expires=59"}));
  EXPECT_EQ(mixed.code, 423);
  EXPECT_EQ(registrar_.size(), 0u);
}

TEST_F(RegistrarTest, ExpiresClampedAndDefaulted) {
  EXPECT_EQ(reg(Register().expires("100000")).contacts,
            std::vector<std::string>{"<sip:alice@192.0.2.10:5060>;expires=3600"});
  // Absent everywhere: default_expires.
  EXPECT_EQ(reg(Register().cseq(2)).contacts,
            std::vector<std::string>{"<sip:alice@192.0.2.10:5060>;expires=1800"});
  // The Contact's own expires beats the header.
  EXPECT_EQ(
      reg(Register().contacts({"<sip:alice@192.0.2.10:5060>;expires=120"}).expires("900").cseq(3))
          .contacts,
      std::vector<std::string>{"<sip:alice@192.0.2.10:5060>;expires=120"});
  // Bigger than 32 bits is still just long.
  EXPECT_EQ(reg(Register().contacts({"<sip:alice@192.0.2.10:5060>;expires=99999999999"}).cseq(4))
                .contacts,
            std::vector<std::string>{"<sip:alice@192.0.2.10:5060>;expires=3600"});
  EXPECT_EQ(reg(Register()
                    .contacts({"<sip:alice@192.0.2.10:5060>;expires=123456789012345678901234"})
                    .cseq(5))
                .contacts,
            std::vector<std::string>{"<sip:alice@192.0.2.10:5060>;expires=3600"});
  EXPECT_EQ(reg(Register().contacts({"<sip:alice@192.0.2.10:5060>;expires=soon"}).cseq(6)).code,
            400);
}

TEST_F(RegistrarTest, NatedClientClampedAndReachedAtItsSource) {
  const SipPeer nat = peer("203.0.113.5", 40000);
  const auto r = reg(Register()
                         .contacts({"<sip:alice@10.0.0.7:5060>"})
                         .expires("3600")
                         .via_sent_by("10.0.0.7:5060"),
                     kT0, nat);
  EXPECT_EQ(r.code, 200);
  EXPECT_EQ(r.contacts, std::vector<std::string>{"<sip:alice@10.0.0.7:5060>;expires=30"});
  const auto found = registrar_.lookup("alice", kT0);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_TRUE(found[0]->nated);
  EXPECT_EQ(found[0]->peer.remote, nat.remote);  // requests go back through the pinhole
}

TEST_F(RegistrarTest, NatDetectedFromPortViaAndHostNames) {
  // Same address, other port (a port-translating NAT).
  EXPECT_EQ(reg(Register().expires("600"), kT0, peer("192.0.2.10", 1024)).contacts[0],
            "<sip:alice@192.0.2.10:5060>;expires=30");
  // Contact matches, but a received= on the Via says otherwise.
  EXPECT_EQ(
      reg(Register().expires("600").cseq(2).via_params(";received=198.51.100.99")).contacts[0],
      "<sip:alice@192.0.2.10:5060>;expires=30");
  // ... or an rport value that is not the source port.
  EXPECT_EQ(reg(Register().expires("600").cseq(3).via_params(";rport=7000")).contacts[0],
            "<sip:alice@192.0.2.10:5060>;expires=30");
  // A host name says nothing about where the packet came from.
  EXPECT_EQ(
      reg(Register().contacts({"<sip:alice@phone.example>"}).expires("600").cseq(4)).contacts[0],
      "<sip:alice@phone.example>;expires=30");
  // Matching everything (the default port 5060 included): not NATed.
  EXPECT_EQ(reg(Register()
                    .contacts({"<sip:alice@192.0.2.10>"})
                    .expires("600")
                    .cseq(5)
                    .via_sent_by("192.0.2.10")
                    .via_params(";rport=5060;received=192.0.2.10"))
                .contacts[0],
            "<sip:alice@192.0.2.10>;expires=600");
}

TEST_F(RegistrarTest, Ipv6AndV4MappedSources) {
  const auto v6 = reg(Register()
                          .contacts({"<sip:alice@[2001:db8::10]:5060>"})
                          .expires("600")
                          .via_sent_by("[2001:db8::10]:5060"),
                      kT0, peer("2001:db8::10", 5060));
  EXPECT_EQ(v6.contacts, std::vector<std::string>{"<sip:alice@[2001:db8::10]:5060>;expires=600"});
  const auto mapped = reg(Register().expires("600").cseq(2), kT0, peer("::ffff:192.0.2.10", 5060));
  EXPECT_EQ(mapped.contacts[0], "<sip:alice@192.0.2.10:5060>;expires=600");
}

TEST_F(RegistrarTest, MaxContactsReplacesTheOldest) {
  for (int i = 0; i < 4; ++i) {
    const auto r = reg(Register()
                           .contacts({"<sip:alice@192.0.2.10:" + std::to_string(5060 + i) + ">"})
                           .call_id("c" + std::to_string(i)),
                       kT0 + std::chrono::seconds(i));
    ASSERT_EQ(r.code, 200);
  }
  EXPECT_EQ(contacts_of("alice", kT0 + 4s),
            (std::vector<std::string>{"sip:alice@192.0.2.10:5063", "sip:alice@192.0.2.10:5062",
                                      "sip:alice@192.0.2.10:5061"}));
  EXPECT_EQ(registrar_.size(), 3u);
}

TEST_F(RegistrarTest, MaxBindingsIs503) {
  for (int i = 0; i < 10; ++i) {
    const std::string user = "u" + std::to_string(i);
    ASSERT_EQ(
        reg(Register().to_user(user).contacts({"<sip:" + user + "@192.0.2.10>"}), kT0, kPhone, user)
            .code,
        200);
  }
  const auto full =
      reg(Register().to_user("late").contacts({"<sip:late@192.0.2.10>"}), kT0, kPhone, "late");
  EXPECT_EQ(full.code, 503);
  EXPECT_TRUE(registrar_.lookup("late", kT0).empty());
  EXPECT_EQ(registrar_.size(), 10u);
  // A refresh does not grow the table: still fine when full.
  EXPECT_EQ(
      reg(Register().to_user("u3").contacts({"<sip:u3@192.0.2.10>"}).cseq(2), kT0, kPhone, "u3")
          .code,
      200);
  // Expired bindings make room again.
  EXPECT_EQ(registrar_.expire(kT0 + 1801s), 10u);
  EXPECT_EQ(reg(Register().to_user("late").contacts({"<sip:late@192.0.2.10>"}), kT0 + 1801s, kPhone,
                "late")
                .code,
            200);
}

TEST_F(RegistrarTest, CSeqOrderingWithinACallId) {
  ASSERT_EQ(reg(Register().expires("600").cseq(5)).code, 200);
  // An older (reordered) request of the same registration changes nothing, not even a removal.
  EXPECT_EQ(reg(Register().expires("0").cseq(4)).code, 200);
  EXPECT_EQ(reg(Register().expires("3000").cseq(5)).code, 200);
  ASSERT_EQ(registrar_.lookup("alice", kT0).size(), 1u);
  EXPECT_EQ(registrar_.lookup("alice", kT0)[0]->cseq, 5u);
  EXPECT_EQ(registrar_.lookup("alice", kT0)[0]->expires, kT0 + 600s);
  // Another Call-ID (the phone rebooted) updates whatever its CSeq.
  EXPECT_EQ(reg(Register().expires("900").call_id("reg-2").cseq(1)).code, 200);
  EXPECT_EQ(registrar_.lookup("alice", kT0)[0]->call_id, "reg-2");
  EXPECT_EQ(registrar_.lookup("alice", kT0)[0]->expires, kT0 + 900s);
}

TEST_F(RegistrarTest, BindingsExpire) {
  ASSERT_EQ(reg(Register().expires("60")).code, 200);
  EXPECT_EQ(registrar_.lookup("alice", kT0 + 59s).size(), 1u);
  EXPECT_TRUE(registrar_.lookup("alice", kT0 + 60s).empty());
  EXPECT_TRUE(registrar_.all(kT0 + 61s).empty());
  EXPECT_EQ(registrar_.size(), 1u);  // held until expire()
  EXPECT_EQ(registrar_.expire(kT0 + 59s), 0u);
  EXPECT_EQ(registrar_.expire(kT0 + 61s), 1u);
  EXPECT_EQ(registrar_.size(), 0u);
  // A new REGISTER does not list an expired binding.
  ASSERT_EQ(reg(Register().expires("60")).code, 200);
  const auto r = reg(Register().contacts({"<sip:alice@192.0.2.10:5062>"}).call_id("x"), kT0 + 100s);
  EXPECT_EQ(r.contacts.size(), 1u);
  EXPECT_EQ(registrar_.size(), 1u);
}

TEST_F(RegistrarTest, LookupMostRecentFirstAndAllSortedByUser) {
  ASSERT_EQ(reg(Register().contacts({"<sip:alice@192.0.2.10:5060>"}).call_id("a")).code, 200);
  ASSERT_EQ(reg(Register().contacts({"<sip:alice@192.0.2.10:5062>"}).call_id("b"), kT0 + 1s).code,
            200);
  ASSERT_EQ(
      reg(Register().contacts({"<sip:alice@192.0.2.10:5060>"}).call_id("a").cseq(2), kT0 + 2s).code,
      200);
  EXPECT_EQ(contacts_of("alice", kT0 + 3s),
            (std::vector<std::string>{"sip:alice@192.0.2.10:5060", "sip:alice@192.0.2.10:5062"}));
  ASSERT_EQ(reg(Register().to_user("aaron").contacts({"<sip:aaron@192.0.2.11>"}), kT0,
                peer("192.0.2.11", 5060), "aaron")
                .code,
            200);
  const auto all = registrar_.all(kT0 + 3s);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]->user, "aaron");
  EXPECT_EQ(all[1]->user, "alice");
  EXPECT_EQ(all[2]->user, "alice");
}

TEST_F(RegistrarTest, NoContactListsBindings) {
  ASSERT_EQ(reg(Register().expires("600")).code, 200);
  const auto r = reg(Register().contacts(std::vector<std::string>{}).cseq(2), kT0 + 100s);
  EXPECT_EQ(r.code, 200);
  EXPECT_EQ(r.contacts, std::vector<std::string>{"<sip:alice@192.0.2.10:5060>;expires=500"});
}

TEST_F(RegistrarTest, ToMustBeTheAuthenticatedUser) {
  EXPECT_EQ(reg(Register().to_user("bob").contacts({"<sip:bob@192.0.2.10>"})).code, 403);
  EXPECT_EQ(registrar_.size(), 0u);
}

TEST_F(RegistrarTest, BadContactsRefusedWithoutChange) {
  EXPECT_EQ(reg(Register().contacts({"<tel:+15550001>"})).code, 400);
  EXPECT_EQ(
      reg(Register().contacts({"<sip:alice@192.0.2.10:5060>", "<mailto:a@example.com>"})).code,
      400);
  EXPECT_EQ(reg(Register().contacts({"<sip:" + std::string(600, 'a') + "@192.0.2.10>"})).code, 400);
  EXPECT_EQ(reg(Register().call_id(std::string(300, 'c'))).code, 400);
  EXPECT_EQ(registrar_.size(), 0u);
}

TEST_F(RegistrarTest, StreamBindingKeepsItsConnection) {
  const SipPeer tls = peer("192.0.2.10", 49152, Transport::kTls);
  ASSERT_EQ(reg(Register().contacts({"<sips:alice@192.0.2.10>"}).expires("600"), kT0, tls).code,
            200);
  const auto found = registrar_.lookup("alice", kT0);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->peer.transport, Transport::kTls);
  EXPECT_EQ(found[0]->peer.connection, 42u);
  EXPECT_TRUE(found[0]->nated);  // the connection's port is not the Contact's
}

}  // namespace
}  // namespace sbc::cp
