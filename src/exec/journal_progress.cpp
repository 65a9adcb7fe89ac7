// How far a journaled run got (journal_progress), for callers that agree on a resume point.
#include "journal.hpp"
#include "memsched/exec/executor.hpp"

namespace memsched {

std::optional<std::int64_t> journal_progress(const std::filesystem::path& journal) {
  try {
    return detail::ResumeJournal(journal).read().action_index;
  } catch (const ResumeError&) {
    return std::nullopt;
  }
}

}  // namespace memsched
