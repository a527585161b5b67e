#include "cli/client.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/mgmt_protocol.h"
#include "tests/unit/cli/fake_mgmt_server.h"

namespace sbc::cli {
namespace {

using testing::FakeMgmtServer;
using testing::TempDir;
using Words = std::vector<std::string>;
using namespace std::chrono_literals;

// Answers like sbcd would: echoes the words as text, or as JSON data.
std::optional<std::string> echo(const std::string& line) {
  auto request = api::decode_request(line);
  if (!request) return *api::encode_reply(api::MgmtReply::failure(0, request.error()));
  std::string text;
  for (const auto& word : request->command) text += word + ";";
  return *api::encode_reply(
      api::MgmtReply::success(request->id, text, nlohmann::json(request->command)));
}

class ClientTest : public ::testing::Test {
 protected:
  std::string socket() const { return (dir_.path() / "sbcd.sock").string(); }
  TempDir dir_;
};

TEST_F(ClientTest, CallsAndMatchesIds) {
  FakeMgmtServer server(socket(), echo);
  Client client(socket(), 2s);
  Words words{"show", "calls"};
  for (int i = 0; i < 3; ++i) {
    auto reply = client.call(words, api::OutputFormat::kText);
    ASSERT_TRUE(reply.has_value()) << reply.error().message;
    EXPECT_TRUE(reply->ok);
    EXPECT_EQ(reply->text, "show;calls;");
  }
  EXPECT_EQ(server.connections(), 1) << "one connection for many calls";
}

TEST_F(ClientTest, MissingSocketIsAConnectErrorNamingThePath) {
  Client client(socket(), 1s);
  auto reply = client.call(Words{"help"}, api::OutputFormat::kText);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, ClientError::Kind::kConnect);
  EXPECT_NE(reply.error().message.find(socket()), std::string::npos) << reply.error().message;
  EXPECT_NE(reply.error().message.find("No such file or directory"), std::string::npos)
      << reply.error().message;
}

TEST_F(ClientTest, SilentServerTimesOut) {
  FakeMgmtServer server(socket(), [](const std::string&) { return std::string(); });
  Client client(socket(), 100ms);
  auto reply = client.call(Words{"help"}, api::OutputFormat::kText);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, ClientError::Kind::kIo);
  EXPECT_NE(reply.error().message.find("no reply"), std::string::npos) << reply.error().message;
  EXPECT_FALSE(client.connected()) << "a timed-out connection may deliver a stale reply later";
}

TEST_F(ClientTest, HangUpIsAnIoErrorAndNextCallReconnects) {
  int calls = 0;
  FakeMgmtServer server(socket(), [&calls](const std::string& line) -> std::optional<std::string> {
    if (calls++ == 0) return std::nullopt;  // first request: hang up
    return echo(line);
  });
  Client client(socket(), 2s);
  auto first = client.call(Words{"help"}, api::OutputFormat::kText);
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().kind, ClientError::Kind::kIo);
  EXPECT_NE(first.error().message.find("closed the connection"), std::string::npos);

  auto second = client.call(Words{"help"}, api::OutputFormat::kText);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->text, "help;");
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(ClientTest, ServerRestartBetweenCallsIsTransparent) {
  Client client(socket(), 2s);
  {
    FakeMgmtServer first(socket(), echo);
    ASSERT_TRUE(client.call(Words{"help"}, api::OutputFormat::kText).has_value());
  }  // closes our kept connection, as a restarting sbcd does
  std::filesystem::remove(socket());
  int requests = 0;
  FakeMgmtServer second(socket(), [&requests](const std::string& line) {
    ++requests;
    return echo(line);
  });
  auto reply = client.call(Words{"show", "calls"}, api::OutputFormat::kText);
  ASSERT_TRUE(reply.has_value()) << reply.error().message;
  EXPECT_EQ(reply->text, "show;calls;");
  EXPECT_EQ(requests, 1) << "the request reached the new server exactly once";
}

TEST_F(ClientTest, GarbageReplyIsAProtocolError) {
  FakeMgmtServer server(socket(), [](const std::string&) { return std::string("<html>\n"); });
  Client client(socket(), 2s);
  auto reply = client.call(Words{"help"}, api::OutputFormat::kText);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, ClientError::Kind::kProtocol);
  EXPECT_NE(reply.error().message.find("malformed JSON"), std::string::npos)
      << reply.error().message;
}

TEST_F(ClientTest, ReplyWithWrongIdIsAProtocolError) {
  FakeMgmtServer server(socket(), [](const std::string&) {
    return *api::encode_reply(api::MgmtReply::success(999, "x", nullptr));
  });
  Client client(socket(), 2s);
  auto reply = client.call(Words{"help"}, api::OutputFormat::kText);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, ClientError::Kind::kProtocol);
  EXPECT_NE(reply.error().message.find("id 999"), std::string::npos) << reply.error().message;
}

TEST_F(ClientTest, OversizedReplyIsRejectedNotBuffered) {
  FakeMgmtServer server(socket(), [](const std::string&) {
    return std::string(api::kMaxReplySize + 1, 'x');  // no newline within the bound
  });
  Client client(socket(), 5s);
  auto reply = client.call(Words{"help"}, api::OutputFormat::kText);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, ClientError::Kind::kProtocol);
  EXPECT_NE(reply.error().message.find("exceeds the limit"), std::string::npos)
      << reply.error().message;
}

TEST_F(ClientTest, FetchesTheCommandList) {
  FakeMgmtServer server(socket(), [](const std::string& line) {
    auto request = api::decode_request(line);
    nlohmann::json data = {{"commands",
                            {{{"words", {"help"}}, {"help", "List commands"}},
                             {{"words", {"show", "calls"}}, {"help", "List active calls"}}}}};
    return *api::encode_reply(api::MgmtReply::success(request->id, "", data));
  });
  Client client(socket(), 2s);
  auto commands = client.fetch_commands();
  ASSERT_TRUE(commands.has_value()) << commands.error().message;
  ASSERT_EQ(commands->size(), 2u);
  EXPECT_EQ((*commands)[1], (CommandSpec{{"show", "calls"}, "List active calls"}));
}

TEST_F(ClientTest, MalformedCommandListIsAnError) {
  FakeMgmtServer server(socket(), [](const std::string& line) {
    auto request = api::decode_request(line);
    nlohmann::json data = {{"commands", {{{"words", {1, 2}}}}}};
    return *api::encode_reply(api::MgmtReply::success(request->id, "", data));
  });
  Client client(socket(), 2s);
  auto commands = client.fetch_commands();
  ASSERT_FALSE(commands.has_value());
  EXPECT_EQ(commands.error().kind, ClientError::Kind::kProtocol);
}

}  // namespace
}  // namespace sbc::cli
