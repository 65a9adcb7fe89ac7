// Read a schedule printed by checkpoint_schedules, check it, and write it as Revolve's stream.
#include <iostream>
#include <sstream>

#include "memsched/memsched.hpp"

int main() {
  const char* printed =
      "Forward(0, 2, True, False, StorageType.RAM)\n"
      "Forward(2, 3, True, False, StorageType.RAM)\n"
      "Forward(3, 4, False, True, StorageType.WORK)\n"
      "EndForward()\n"
      "Reverse(4, 3, True)\n"
      "Move(2, StorageType.RAM, StorageType.WORK)\n"
      "Forward(2, 3, False, True, StorageType.WORK)\n"
      "Reverse(3, 2, True)\n"
      "Copy(0, StorageType.RAM, StorageType.WORK)\n"
      "Forward(0, 1, False, False, StorageType.WORK)\n"
      "Forward(1, 2, False, True, StorageType.WORK)\n"
      "Reverse(2, 1, True)\n"
      "Move(0, StorageType.RAM, StorageType.WORK)\n"
      "Forward(0, 1, False, True, StorageType.WORK)\n"
      "Reverse(1, 0, True)\n"
      "EndReverse()\n";
  const memsched::ScheduleFile file = memsched::read_schedule(printed, 4);
  const memsched::SimulationReport report =
      memsched::simulate(file.schedule, memsched::Chain(4), memsched::Platform::ram(2));
  std::cout << "legal, " << report.forward_steps << " forward steps; as Revolve actions:\n";
  memsched::ScheduleStream stream(file.schedule);
  memsched::write_revolve(std::cout, stream, 4);
  return report.forward_steps == 8 ? 0 : 1;
}
