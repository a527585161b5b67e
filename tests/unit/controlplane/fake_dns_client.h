// A DnsClient with canned answers: queries are recorded, and their answers (a name and type
// nobody set: no such domain) are delivered when the test says so, never inside query().
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "controlplane/net/dns_client.h"

namespace sbc::cp::testing {

class FakeDnsClient final : public DnsClient {
 public:
  void query(std::string_view name, DnsType type, Callback done) override {
    asked.emplace_back(std::string(name), type);
    auto it = answers.find({std::string(name), type});
    Result result = it != answers.end() ? it->second : std::unexpected(DnsError::kNoSuchDomain);
    queued_.push_back([done = std::move(done), result = std::move(result)] { done(result); });
  }
  // Delivers every pending answer, and those of the queries they lead to.
  void deliver() {
    while (!queued_.empty()) {
      auto next = std::move(queued_.front());
      queued_.pop_front();
      next();
    }
  }
  [[nodiscard]] size_t pending() const { return queued_.size(); }

  void set_a(const std::string& name, std::vector<std::string> addresses, int ttl = 300) {
    DnsAnswer answer;
    for (const auto& a : addresses) answer.addresses.push_back(boost::asio::ip::make_address(a));
    answer.ttl = std::chrono::seconds(ttl);
    answers[{name, DnsType::kA}] = answer;
  }
  void set_srv(const std::string& name, std::vector<SrvRecord> records, int ttl = 300) {
    DnsAnswer answer;
    answer.srv = std::move(records);
    answer.ttl = std::chrono::seconds(ttl);
    answers[{name, DnsType::kSrv}] = answer;
  }
  void set_naptr(const std::string& name, std::vector<NaptrRecord> records, int ttl = 300) {
    DnsAnswer answer;
    answer.naptr = std::move(records);
    answer.ttl = std::chrono::seconds(ttl);
    answers[{name, DnsType::kNaptr}] = answer;
  }
  void set_error(const std::string& name, DnsType type, DnsError error) {
    answers[{name, type}] = std::unexpected(error);
  }

  std::map<std::pair<std::string, DnsType>, Result> answers;
  std::vector<std::pair<std::string, DnsType>> asked;

 private:
  std::deque<std::function<void()>> queued_;
};

}  // namespace sbc::cp::testing
