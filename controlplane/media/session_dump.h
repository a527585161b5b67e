// The dataplane's session table, page by page (DumpQuery by cursor): what the reconcile after a
// (re)connect and the periodic media statistics both read.
#pragma once

#include <functional>

#include "api/control_protocol.h"
#include "controlplane/media/dataplane_client.h"

namespace sbc::cp {

using DumpPageHandler = std::function<void(const api::DumpReply& page)>;
// complete: every page was read; false when a page failed (no reply, or not a DumpReply).
using DumpEndHandler = std::function<void(bool complete)>;

// Requests the pages one after the other from cursor 0: `on_page` for each, then `on_end` once.
// The handlers run on the event loop (never from inside this call); they must stay valid until
// `on_end` has run.
void dump_sessions(DataplaneClient& dataplane, DumpPageHandler on_page, DumpEndHandler on_end = {});

}  // namespace sbc::cp
