"""Tutorial: train a PyTorch nn.Sequential under a memory budget in bytes (memsched.torch).

Run: PYTHONPATH=build/default/python /usr/bin/python3 python/examples/torch_budget.py
(needs Debian's python3-torch; without it the tutorial says so and stops).
"""

try:
    import torch
except ImportError:
    torch = None

if torch is None:
    print("torch is not installed (apt-get install python3-torch): nothing to show")
else:
    import memsched
    import memsched.torch as mt

    torch.manual_seed(0)
    # 1. A network as a sequence of modules (Dropout included: its masks are replayed).
    layers = []
    for _ in range(12):
        layers += [torch.nn.Linear(128, 128), torch.nn.ReLU(), torch.nn.Dropout(0.1)]
    net = torch.nn.Sequential(*layers)
    x, target = torch.randn(64, 128), torch.randn(64, 128)

    # 2. Measure the stages once. A stage starts at each module that autograd keeps the input
    #    of (here each Linear), so a stage is Linear + ReLU + Dropout.
    profile = mt.profile_sequence(net, x)
    chain = profile.chain  # a memsched.HeteroChain: times in seconds, sizes in bytes
    print(f"{len(profile.stages)} stages; storing every activation needs "
          f"{chain.store_all_peak()} bytes")

    # 3. What each budget costs: the optimal persistent makespan for every budget.
    curve = memsched.memory_time_curve(chain)
    smallest = curve[0].budget_bytes
    print(f"smallest feasible budget {smallest} bytes: "
          f"{curve[0].makespan / chain.minimal_makespan():.2f}x the time without recomputation")

    # 4. Train under a budget of a third of store-all (at least the smallest feasible one).
    budget = max(smallest, chain.store_all_peak() // 3)
    model = mt.CheckpointedSequential(net, budget, profile=profile)
    print(f"budget {budget} bytes -> plan {model.plan!r}")
    print("schedule:", " ".join(str(op) for op in model.plan.schedule[:12]), "...")
    assert model.plan.peak_bytes <= budget

    # 5. Gradients are bitwise those of plain autograd (same RNG seed for Dropout).
    torch.manual_seed(1)
    torch.nn.functional.mse_loss(net(x), target).backward()
    expected = [p.grad.clone() for p in net.parameters()]
    net.zero_grad(set_to_none=True)
    torch.manual_seed(1)
    torch.nn.functional.mse_loss(model(x), target).backward()
    assert all(torch.equal(a, p.grad) for a, p in zip(expected, net.parameters()))
    print("gradients bitwise equal to plain autograd")

    # 6. torch.autograd.grad works too, and so does an optimizer loop.
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    for step in range(5):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), target)
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.4f}")
