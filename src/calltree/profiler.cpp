// The call-tree recorder behind CallScope: a site registry, a thread-local tape counter and
// frame stack, exclusive timers on the thread's CPU clock.
#include "memsched/calltree/profiler.hpp"

#include <time.h>

#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

namespace memsched {

namespace {

struct Site {
  std::string name;   // as registered
  std::string label;  // name, or name@file:line
};

struct Registry {
  std::mutex mutex;
  std::vector<Site> sites;
  std::map<std::tuple<std::string, std::string, int>, CallSiteId> ids;
};

Registry& registry() {
  static Registry r;
  return r;
}

std::string label_of(const char* name, const char* file, int line) {
  std::string f = file;
  if (f.empty()) return name;
  if (const auto slash = f.find_last_of('/'); slash != std::string::npos) f = f.substr(slash + 1);
  return std::string(name) + "@" + f + ":" + std::to_string(line);
}

thread_local CallRecorder::Impl* t_recorder = nullptr;
thread_local Bytes t_tape = 0;

}  // namespace

CallSiteId register_call_site(const char* name, const char* file, int line) {
  if (name == nullptr || *name == '\0') {
    throw std::invalid_argument("register_call_site: empty site name");
  }
  Registry& r = registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  const auto key = std::make_tuple(std::string(name), std::string(file ? file : ""), line);
  const auto it = r.ids.find(key);
  if (it != r.ids.end()) return it->second;
  const auto id = static_cast<CallSiteId>(r.sites.size());
  r.sites.push_back({name, label_of(name, file ? file : "", line)});
  r.ids.emplace(key, id);
  return id;
}

std::string call_site_name(CallSiteId site) {
  Registry& r = registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  if (site < 0 || static_cast<std::size_t>(site) >= r.sites.size()) {
    throw std::out_of_range("call_site_name: unknown site " + std::to_string(site));
  }
  return r.sites[static_cast<std::size_t>(site)].name;
}

void tape_pushed(Bytes bytes) noexcept { t_tape += bytes; }

double thread_cpu_seconds() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct CallRecorder::Impl {
  struct Node {
    CallSiteId site = 0;
    std::int64_t parent = -1;
    std::vector<std::int64_t> children;
    double record = 0, adjoint = 0, plain = 0;
    bool has_plain = false;
    bool reversed = false;
    Bytes tape = 0;
    std::vector<Bytes> before;
    Bytes snapshot = 0;
    double write = 0, read = 0;
    std::int64_t reverse_next = -1;  // children left to reverse; -1: not started
    std::size_t plain_next = 0;
  };
  struct Frame {
    std::int64_t node;
    CallPhase phase;
    double start;
    Bytes tape_start;
    double child_time = 0;
    Bytes child_tape = 0;
  };

  std::vector<Node> nodes;
  std::vector<Frame> frames;
  CallClock clock = CallClock::kThreadCpu;

  double now() const noexcept {
    if (clock == CallClock::kThreadCpu) return thread_cpu_seconds();
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  static Node make_node(CallSiteId site, std::int64_t parent) {
    Node n;
    n.site = site;
    n.parent = parent;
    return n;
  }

  [[noreturn]] static void mismatch(const std::string& what) {
    throw std::logic_error("CallScope: " + what);
  }

  // Reverse and plain code sits at other source lines than the recording code: sites match
  // by name (the callee), the recorded site's location is the one kept.
  void check_site(const Node& n, CallSiteId site, const char* phase) const {
    if (n.site != site && call_site_name(n.site) != call_site_name(site)) {
      mismatch(std::string(phase) + " scope of site '" + call_site_name(site) +
               "' where the recorded call is of site '" + call_site_name(n.site) + "'");
    }
  }

  void enter(CallSiteId site, CallPhase phase) {
    std::int64_t node = 0;
    if (frames.empty()) {
      if (phase == CallPhase::kRecord) {
        if (!nodes.empty()) mismatch("a second root recorded (one recorder per adjoint run)");
        nodes.push_back(make_node(site, -1));
      } else {
        if (nodes.empty()) mismatch("a reverse or plain scope before anything was recorded");
        check_site(nodes[0], site, "root");
      }
    } else {
      Frame& top = frames.back();
      if (top.phase != phase) {
        mismatch("a scope of another phase nested in a scope of site '" +
                 call_site_name(nodes[static_cast<std::size_t>(top.node)].site) + "'");
      }
      Node& parent = nodes[static_cast<std::size_t>(top.node)];
      if (phase == CallPhase::kRecord) {
        parent.before.push_back(t_tape - top.tape_start - top.child_tape);
        node = static_cast<std::int64_t>(nodes.size());
        const std::int64_t parent_index = top.node;
        nodes[static_cast<std::size_t>(parent_index)].children.push_back(node);
        nodes.push_back(make_node(site, parent_index));
      } else if (phase == CallPhase::kReverse) {
        if (parent.reverse_next < 0)
          parent.reverse_next = static_cast<std::int64_t>(parent.children.size());
        if (parent.reverse_next == 0) mismatch("more calls reversed than recorded");
        node = parent.children[static_cast<std::size_t>(--parent.reverse_next)];
        check_site(nodes[static_cast<std::size_t>(node)], site, "reverse");
      } else {
        if (parent.plain_next >= parent.children.size()) mismatch("more plain calls than recorded");
        node = parent.children[parent.plain_next++];
        check_site(nodes[static_cast<std::size_t>(node)], site, "plain");
      }
    }
    frames.push_back({node, phase, now(), t_tape});
  }

  void exit() noexcept {
    const Frame f = frames.back();
    frames.pop_back();
    const double inclusive = now() - f.start;
    const double exclusive = inclusive - f.child_time;
    const Bytes tape = t_tape - f.tape_start;
    Node& n = nodes[static_cast<std::size_t>(f.node)];
    switch (f.phase) {
      case CallPhase::kRecord:
        n.record += exclusive;
        n.tape += tape - f.child_tape;
        break;
      case CallPhase::kReverse:
        n.adjoint += exclusive;
        n.reversed = true;
        break;
      case CallPhase::kPlain:
        n.plain += exclusive;
        n.has_plain = true;
        break;
    }
    if (!frames.empty()) {
      frames.back().child_time += inclusive;
      frames.back().child_tape += tape;
    }
  }
};

CallRecorder::CallRecorder(CallClock clock) : impl_(std::make_unique<Impl>()) {
  impl_->clock = clock;
  if (t_recorder != nullptr) {
    throw std::logic_error("CallRecorder: this thread already has a recorder");
  }
  t_recorder = impl_.get();
}

CallRecorder::~CallRecorder() {
  if (t_recorder == impl_.get()) t_recorder = nullptr;
}

std::int64_t CallRecorder::num_calls() const noexcept {
  return static_cast<std::int64_t>(impl_->nodes.size());
}

CallTree CallRecorder::tree() const {
  if (!impl_->frames.empty()) throw std::logic_error("CallRecorder::tree: a scope is still open");
  if (impl_->nodes.empty()) throw std::logic_error("CallRecorder::tree: nothing recorded");
  std::vector<Site> sites;
  {
    Registry& r = registry();
    const std::lock_guard<std::mutex> lock(r.mutex);
    sites = r.sites;
  }
  std::unordered_map<CallSiteId, std::int64_t> seen;
  std::vector<CallNode> calls;
  calls.reserve(impl_->nodes.size());
  for (std::size_t i = 0; i < impl_->nodes.size(); ++i) {
    const Impl::Node& n = impl_->nodes[i];
    const std::string& label = sites[static_cast<std::size_t>(n.site)].label;
    if (!n.reversed) {
      throw std::logic_error("CallRecorder::tree: call " + std::to_string(i) + " of site '" +
                             label + "' was recorded but never reversed");
    }
    CallNode c;
    c.site = label;
    c.name = i == 0 ? label : label + "#" + std::to_string(++seen[n.site]);
    c.parent = n.parent;
    c.record_time = n.record;
    c.adjoint_time = n.adjoint;
    c.time = n.has_plain ? n.plain : n.record;
    c.tape_bytes = n.tape;
    c.tape_before_calls = n.before;
    c.snapshot_bytes = n.snapshot;
    c.snapshot_write_time = n.write;
    c.snapshot_read_time = n.read;
    calls.push_back(std::move(c));
  }
  return CallTree(std::move(calls));
}

CallScope::CallScope(CallSiteId site, CallPhase phase) {
  CallRecorder::Impl* r = t_recorder;
  if (r == nullptr) return;
  r->enter(site, phase);
  active_ = true;
}

CallScope::CallScope(const char* name, CallPhase phase) {
  CallRecorder::Impl* r = t_recorder;
  if (r == nullptr) return;
  // String literals have stable addresses: cache their ids per thread.
  thread_local std::unordered_map<const char*, CallSiteId> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, register_call_site(name)).first;
  r->enter(it->second, phase);
  active_ = true;
}

CallScope::~CallScope() {
  if (active_ && t_recorder != nullptr) t_recorder->exit();
}

void CallScope::snapshot(Bytes bytes, double write_seconds, double read_seconds) {
  if (!active_ || t_recorder == nullptr) return;
  if (bytes < 0) throw std::invalid_argument("CallScope::snapshot: negative bytes");
  auto& node = t_recorder->nodes[static_cast<std::size_t>(t_recorder->frames.back().node)];
  node.snapshot = bytes;
  node.write = write_seconds;
  node.read = read_seconds;
}

}  // namespace memsched
