// A throw-away PKI written into a temp dir at test time: a CA, a server and a client certificate
// (EC P-256, SANs IP 127.0.0.1 and DNS sip.carrier.test) signed by it, and a second, unrelated CA.
#pragma once

#include <filesystem>
#include <string>

namespace sbc::cp::testing {

struct TestPki {
  struct Leaf {
    std::string certificate;
    std::string private_key;
  };
  std::filesystem::path dir;
  std::string ca_file;
  std::string other_ca_file;  // signs nothing we use: verification against it fails
  Leaf server;
  Leaf client;

  // Creates the files under a fresh directory; removed by the destructor.
  TestPki();
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;
};

}  // namespace sbc::cp::testing
