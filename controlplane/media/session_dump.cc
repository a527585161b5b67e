#include "controlplane/media/session_dump.h"

#include <memory>
#include <utility>

namespace sbc::cp {
namespace {

struct Dump {
  DataplaneClient& dataplane;
  DumpPageHandler on_page;
  DumpEndHandler on_end;

  void end(bool complete) const {
    if (on_end) on_end(complete);
  }
};

void request_page(const std::shared_ptr<Dump>& dump, uint64_t cursor) {
  api::DumpQuery query;
  query.cursor = cursor;
  dump->dataplane.request(query, [dump](DataplaneClient::Reply reply) {
    const auto* page = reply ? std::get_if<api::DumpReply>(&*reply) : nullptr;
    if (page == nullptr) {
      dump->end(false);
      return;
    }
    dump->on_page(*page);
    if (page->next_cursor == 0) {
      dump->end(true);
      return;
    }
    request_page(dump, page->next_cursor);
  });
}

}  // namespace

void dump_sessions(DataplaneClient& dataplane, DumpPageHandler on_page, DumpEndHandler on_end) {
  request_page(std::make_shared<Dump>(Dump{dataplane, std::move(on_page), std::move(on_end)}), 0);
}

}  // namespace sbc::cp
