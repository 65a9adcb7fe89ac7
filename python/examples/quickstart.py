"""Quick start: plan, verify and inspect checkpointing schedules from Python.

Run: PYTHONPATH=build/default/python python3 python/examples/quickstart.py
"""

import memsched

# 1000 steps (forward cost 1, adjoint cost 1), 10 checkpoint slots in RAM (x_0's included).
chain = memsched.Chain(1000)
platform = memsched.Platform.ram(10)

# Revolve as a lazy stream of actions, replayed by the simulator.
report = memsched.simulate(memsched.revolve(chain, platform), chain, platform)
print(f"revolve: {report.forward_steps} forward steps, peak {report.levels[0].peak} slots")
assert report.forward_steps == memsched.revolve_forward_steps(1000, 10) == 4636

# The first actions, as values.
stream = memsched.RevolveStream(1000, 10)
print([next(stream) for _ in range(3)])

# RAM + a disk with costs: let memsched pick the cheapest planner.
platform = memsched.Platform([memsched.StorageLevel("ram", 3),
                              memsched.StorageLevel("disk", None, write_cost=2.0, read_cost=1.0)])
chain = memsched.Chain(200)
choice = memsched.choose_chain_planner(chain, platform)
print(f"auto: {choice.planner} (cost {choice.cost:g})")
schedule = memsched.plan(choice.planner, chain, platform)
assert memsched.simulate(schedule, chain, platform).cost == choice.cost

# Text formats and pictures.
text = memsched.write_schedule(memsched.RevolveStream(4, 2), format="checkpoint_schedules")
print(text.splitlines()[0])
svg = memsched.schedule_svg(memsched.RevolveStream(20, 3), memsched.Chain(20),
                            memsched.Platform.ram(3))
print(f"svg: {len(svg)} bytes")
