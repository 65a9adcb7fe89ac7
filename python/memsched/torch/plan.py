"""Planning for CheckpointedSequential: the planner's discretisation, the plan for a budget,
and the segments of stages run as one autograd graph."""

import math

from memsched._memsched import HeteroOpKind, hetero_timeline, memory_time_curve, plan_persistent
from memsched.torch.meter import _tensor_bytes
from memsched.torch.profile import _unique_parameters

_CF, _FN, _FE = HeteroOpKind.FORWARD_CHECK, HeteroOpKind.FORWARD_NOGRAD, HeteroOpKind.FORWARD_ENABLE
_LOSS, _BACKWARD, _FREE = HeteroOpKind.LOSS, HeteroOpKind.BACKWARD, HeteroOpKind.FREE


class _Planning:
    """The planning half of CheckpointedSequential (a mixin: it reads and sets the module's
    profile, budget and plan attributes)."""

    def _units(self):
        """The planner's discretisation. Rounding sizes up to units of budget / M costs
        optimality (on the 50-block MLP, 500 units plan 0.7-1.5 % slower than byte-exact), so
        plan byte-exact (unit = gcd of all sizes, often a page) when that needs at most `most`
        units, the M for which planning takes about a second and its table at most 512 MiB:
        time grows about as M·L³ (L = 100 stages, M = 8000: 0.4 s; L = 400, M = 2000: 6 s),
        the table as M·L² doubles at worst (the 50-block MLP, M = 27,800: 82 MiB). Returns the
        options for plan_persistent and `most`."""
        stages = self.profile.stages
        num = len(stages)
        most = max(500, min(int(8e9 / num ** 3), (512 << 20) // (8 * num ** 2)))
        if self.num_units is not None:
            return {"num_units": self.num_units}, self.num_units
        unit = self.profile.output_bytes
        for s in stages:
            for size in (s.input_bytes, s.tape_bytes, s.forward_tmp_bytes, s.backward_tmp_bytes,
                         s.direct_backward_tmp_bytes, s.recording_tmp_bytes or 0):
                unit = math.gcd(unit, size)
        if self.budget_bytes // max(unit, 1) <= most:
            return {"exact": True}, most
        return {"num_units": most}, most

    def _plan(self):
        """Plans for the budget. A stage run as plain autograd (in a direct segment) needs a
        smaller backward temporary than one run inside a node (StageProfile), but which stages
        run directly depends on the plan. So plan with the node temporaries, then again with the
        direct ones for the stages that plan runs directly, keeping the new plan only if it
        still runs every one of them directly (then the model it was made in is the one that
        runs), and again while that set grows (a few rounds at most). A kept plan is never
        slower (the previous one is feasible in its model); on the 50-block MLP the top
        segment holds one stage more at the same budget (docs/torch.md, "Planning")."""
        units, most = self._units()
        self._stage_modules = [list(self.layers[s.begin:s.end]) for s in self.profile.stages]
        self._stage_params = [_unique_parameters(modules) for modules in self._stage_modules]
        plain = self.profile.plain_chain
        if self.fuse_segments and self.budget_bytes >= plain.store_all_peak():
            # store-all: plain autograd, one direct segment
            chain, assumed = plain, set(range(len(self._stage_modules)))
        else:
            chain, assumed = self.profile.chain, set()
        plan = self._plan_in(chain, units)
        if plan is None:
            curve = memory_time_curve(chain, num_units=most)
            smallest = curve[0].budget_bytes if curve else chain.store_all_peak()
            rounding = ("" if self.num_units is None else
                        f" with sizes rounded up to num_units={self.num_units} units (more units "
                        f"round less)")
            raise ValueError(f"CheckpointedSequential: no schedule fits {self.budget_bytes} "
                             f"bytes{rounding}; the smallest feasible budget is about {smallest} "
                             f"bytes (storing everything needs {chain.store_all_peak()})")
        layout = self._fuse(plan, chain)
        for _ in range(4 if self.fuse_segments else 0):
            direct = self._direct_stages(layout)
            if direct <= assumed:
                break
            candidate_chain = self.profile.chain_for(direct)
            candidate = self._plan_in(candidate_chain, units)
            if candidate is None:  # (rounding: the units follow the chain's store-all peak)
                break
            candidate_layout = self._fuse(candidate, candidate_chain)
            if not direct <= self._direct_stages(candidate_layout):
                break
            plan, chain, layout, assumed = candidate, candidate_chain, candidate_layout, direct
        self.plan, self.chain = plan, chain
        self._ops = [(op.kind, op.stage) for op in plan.schedule]
        self._segments, self._direct, self._chained, self._keep = layout
        self._segment_params = [_unique_parameters(m for i in range(b, e)
                                                   for m in self._stage_modules[i])
                                for b, e in self._segments]

    def _plan_in(self, chain, units):
        plan = plan_persistent(chain, self.budget_bytes, **units)
        if plan is None and "num_units" in units:
            # memory_time_curve's rounding: its budgets are guaranteed to fit
            unit = max(1, chain.store_all_peak() // units["num_units"])
            plan = plan_persistent(chain, self.budget_bytes, unit_bytes=unit)
        return plan

    @staticmethod
    def _direct_stages(layout):
        segments, direct = layout[0], layout[1]
        return {i for (begin, end), d in zip(segments, direct) if d for i in range(begin, end)}

    def _fuse(self, plan, chain):
        """Segments of stages the plan never separates, each run as one autograd graph (one
        call and one node per stage cost the 50-block MLP about 1 % of its step, docs/torch.md).
        Stages i-1 and i join when the plan records them one right after the other for the
        tapes their backwards use, and runs B_i, B_{i-1} one right after the other, with x_i
        not stored alone.

        A segment recorded in the first sweep, never run again, whose backwards follow the
        loss or the backwards above it at once, is *direct*: its modules run in the caller's
        graph, as plain autograd (the whole chain when nothing is recomputed). The others are
        one node each, differentiated by one torch.autograd.grad call; that call hands back
        the parameter gradients of all their stages at its end, where plain autograd adds
        each to .grad after its own stage. When .grad already holds a tensor (gradient
        accumulation) those wait in memory, so in such a segment a stage joins the one above
        it only while the plan's peak during its backward (hetero_timeline) plus the
        gradients waiting stays within the budget.

        Returns the segments as (begin, end) stage ranges, whether each is direct, the
        indices of the recording forwards that continue the graph of the stage before, and
        the stages i whose input x_i a direct segment must keep for later operations."""
        ops, num = [(op.kind, op.stage) for op in plan.schedule], len(self._stage_modules)
        if not self.fuse_segments:
            return [(i, i + 1) for i in range(num)], [False] * num, set(), set()
        backward, recording, alone = {}, {}, {}
        loss, rerun, from_tape = len(ops), set(), set()
        stored = {0}  # the x_i stored alone, as _Run.inputs holds them
        for index, (kind, i) in enumerate(ops):
            if kind in (_CF, _FN, _FE) and index > loss:
                rerun.add(i)
                if i not in stored:
                    from_tape.add(i)
            if kind == _FE:  # B_i uses the tape of the last one
                recording[i], alone[i] = index, i in stored
            elif kind in (_CF, _FN):
                stored.add(i + 1)
                if kind == _FN:
                    stored.discard(i)
            elif kind == _LOSS:
                loss = index
                stored.discard(i)
            elif kind == _BACKWARD:
                backward[i] = index
                stored.discard(i)
        starts = [0] + [i for i in range(1, num)
                        if not (recording[i - 1] + 1 == recording[i] and not alone[i] and
                                backward[i] + 1 == backward[i - 1])]
        grad_bytes = [sum(_tensor_bytes(p) for p in params) for params in self._stage_params]
        timeline = None
        segments, direct = [], []
        for begin, end in zip(starts, starts[1:] + [num]):
            if (all(recording[i] < loss and i not in rerun for i in range(begin, end)) and
                    ops[backward[end - 1] - 1][0] in (_LOSS, _BACKWARD)):
                segments.append((begin, end))
                direct.append(True)
                continue
            if timeline is None:
                timeline = hetero_timeline(plan.schedule, chain, self.budget_bytes)
            cuts, waiting = [], 0
            for i in range(end - 2, begin - 1, -1):  # does stage i join the segment above it?
                waiting += grad_bytes[i + 1]
                if timeline[backward[i]].peak_bytes + waiting > self.budget_bytes:
                    cuts.append(i + 1)
                    waiting = 0
            bounds = [begin] + cuts[::-1] + [end]
            segments += zip(bounds, bounds[1:])
            direct += [False] * (len(bounds) - 1)
        chained = {recording[i] for (begin, end), d in zip(segments, direct) if not d
                   for i in range(begin + 1, end)}
        keep = {end for (_, end), d in zip(segments, direct) if d and end in from_tape}
        return segments, direct, chained, keep
