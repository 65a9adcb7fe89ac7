! A time loop with a hand-written per-step adjoint, reversed with few checkpoints through the
! memsched module: once by Revolve's control loop (memsched_revolve), once by pulling the
! actions of the "revolve" and "online" planners. Each gradient must equal the store-all one
! bit for bit (recomputed states are the same floating-point operations); a finite difference
! checks the adjoint itself, and Revolve's loop at 10^9 steps its 64-bit counts. Exit status
! 0 when every check holds.
program time_loop
  use memsched
  use, intrinsic :: iso_fortran_env, only: int64, real64, error_unit
  implicit none

  integer, parameter :: m = 8                 ! state size
  integer(int64), parameter :: n = 300        ! time steps
  integer(int64), parameter :: snaps = 6      ! checkpoints, x_0's included
  real(real64), parameter :: dt = 0.01_real64, coupling = 0.5_real64
  real(real64) :: x0(m), p, j_ref, pbar_ref, xbar_ref(m), pbar, xbar(m), j, h, fd
  integer(int64) :: advances
  character(len=*), parameter :: planners(2) = ["revolve", "online "]
  integer :: i

  p = 1.3_real64
  x0 = [(0.1_real64*real(i, real64), i=1, m)]

  call store_all(x0, p, j_ref, xbar_ref, pbar_ref)

  call with_revolve_loop(x0, p, j, xbar, pbar, advances)
  call require(j == j_ref .and. all(xbar == xbar_ref) .and. pbar == pbar_ref, &
               "revolve loop: gradient differs from store-all")
  call require(advances == memsched_revolve_numforw(n, snaps), &
               "revolve loop: not Revolve's optimal advance count")
  print '(a,i0,a,i0,a)', "revolve loop: ", advances, " advances (optimal ", &
    memsched_revolve_numforw(n, snaps), "), gradient equal to store-all"

  do i = 1, size(planners)
    call with_planner(trim(planners(i)), x0, p, j, xbar, pbar)
    call require(j == j_ref .and. all(xbar == xbar_ref) .and. pbar == pbar_ref, &
                 trim(planners(i))//" planner: gradient differs from store-all")
    print '(a,a,a)', "planner ", trim(planners(i)), ": gradient equal to store-all"
  end do

  ! The adjoint itself: dJ/dp against a central difference.
  h = 1.0e-6_real64
  fd = (objective(x0, p + h) - objective(x0, p - h))/(2*h)
  call require(abs(fd - pbar_ref) <= 1.0e-6_real64*max(1.0_real64, abs(pbar_ref)), &
               "adjoint differs from the finite difference")
  print '(a,es12.5,a,es12.5)', "dJ/dp = ", pbar_ref, ", finite difference ", fd

  call check_one_billion()

contains

  ! 64-bit counts: Revolve's loop over 10^9 steps with 20 snapshots advances n - 1 steps before
  ! its first turn (O(snapshots) calls), and the whole reversal's optimal count t(n, c)
  ! (Griewank & Walther 2000: r n - beta(c + 1, r - 1), beyond 2^31 here) is numforw's.
  subroutine check_one_billion()
    integer(int64), parameter :: big = 1000000000_int64, c = 20
    integer(int64) :: check, capo, fine, oldcapo, advanced, r, t
    integer :: action, info
    check = -1
    capo = 0
    fine = big
    advanced = 0
    do
      oldcapo = capo
      action = memsched_revolve(check, capo, fine, c, info)
      if (action == MEMSCHED_REVOLVE_ADVANCE) then
        advanced = advanced + capo - oldcapo
      else if (action /= MEMSCHED_REVOLVE_TAKESHOT) then
        exit
      end if
    end do
    call require(action == MEMSCHED_REVOLVE_FIRSTURN .and. capo == big - 1 .and. &
                 advanced == big - 1, "10^9 steps: forward sweep")
    r = 0
    do while (binomial(c, r) < big)
      r = r + 1
    end do
    t = r*big - binomial(c + 1, r - 1)
    call require(t > huge(0) .and. memsched_revolve_numforw(big, c) == t, &
                 "10^9 steps: numforw differs from the closed form")
    print '(a,i0)', "10^9 steps, 20 snapshots: optimal advances ", t
  end subroutine

  ! beta(s, t) = C(s + t, s), exact for the small values used here.
  integer(int64) function binomial(s, t)
    integer(int64), intent(in) :: s, t
    integer(int64) :: i
    binomial = 1
    do i = 1, min(s, t)
      binomial = binomial*(s + t - i + 1)/i
    end do
  end function

  ! One step: x <- x + dt (-x^3 + p sin x + c (x_{i+1} - 2 x_i + x_{i-1})), periodic.
  subroutine step(x, p)
    real(real64), intent(inout) :: x(m)
    real(real64), intent(in) :: p
    x = x + dt*(-x**3 + p*sin(x) + coupling*(cshift(x, 1) - 2*x + cshift(x, -1)))
  end subroutine

  ! The step's adjoint at state x: xbar <- J^T xbar, pbar += (d step/d p)^T xbar.
  subroutine step_adjoint(x, p, xbar, pbar)
    real(real64), intent(in) :: x(m), p
    real(real64), intent(inout) :: xbar(m), pbar
    pbar = pbar + dt*sum(xbar*sin(x))
    xbar = xbar*(1 + dt*(-3*x**2 + p*cos(x) - 2*coupling)) &
           + dt*coupling*(cshift(xbar, -1) + cshift(xbar, 1))
  end subroutine

  real(real64) function objective(x0, p)
    real(real64), intent(in) :: x0(m), p
    real(real64) :: x(m)
    integer(int64) :: k
    x = x0
    do k = 0, n - 1
      call step(x, p)
    end do
    objective = 0.5_real64*sum(x**2)
  end function

  subroutine store_all(x0, p, j, xbar, pbar)
    real(real64), intent(in) :: x0(m), p
    real(real64), intent(out) :: j, xbar(m), pbar
    real(real64), allocatable :: x(:, :)
    integer(int64) :: k
    allocate (x(m, 0:n))
    x(:, 0) = x0
    do k = 0, n - 1
      x(:, k + 1) = x(:, k)
      call step(x(:, k + 1), p)
    end do
    j = 0.5_real64*sum(x(:, n)**2)
    xbar = x(:, n)
    pbar = 0
    do k = n - 1, 0, -1
      call step_adjoint(x(:, k), p, xbar, pbar)
    end do
  end subroutine

  ! Revolve's protocol, as an ADOL-C or Revolve driver writes it.
  subroutine with_revolve_loop(x0, p, j, xbar, pbar, advances)
    real(real64), intent(in) :: x0(m), p
    real(real64), intent(out) :: j, xbar(m), pbar
    integer(int64), intent(out) :: advances
    real(real64) :: x(m), slot(m, 0:snaps - 1), x_k(m)
    integer(int64) :: check, capo, fine, oldcapo, k
    integer :: action, info
    check = -1
    capo = 0
    fine = n
    x = x0
    advances = 0
    pbar = 0
    do
      oldcapo = capo
      action = memsched_revolve(check, capo, fine, snaps, info)
      select case (action)
      case (MEMSCHED_REVOLVE_ADVANCE)
        do k = oldcapo, capo - 1
          call step(x, p)
        end do
        advances = advances + capo - oldcapo
      case (MEMSCHED_REVOLVE_TAKESHOT)
        slot(:, check) = x
      case (MEMSCHED_REVOLVE_RESTORE)
        x = slot(:, check)
      case (MEMSCHED_REVOLVE_FIRSTURN, MEMSCHED_REVOLVE_YOUTURN)
        x_k = x                     ! the taped step: its state x_capo
        call step(x, p)
        if (action == MEMSCHED_REVOLVE_FIRSTURN) then
          j = 0.5_real64*sum(x**2)
          xbar = x
        end if
        call step_adjoint(x_k, p, xbar, pbar)
      case (MEMSCHED_REVOLVE_TERMINATE)
        exit
      case default
        write (error_unit, *) "revolve error ", info, ": ", memsched_error_message()
        error stop 1
      end select
    end do
  end subroutine

  ! Any planner's actions on one RAM level: states stored by step, one taped step at a time.
  subroutine with_planner(planner, x0, p, j, xbar, pbar)
    character(len=*), intent(in) :: planner
    real(real64), intent(in) :: x0(m), p
    real(real64), intent(out) :: j, xbar(m), pbar
    type(c_ptr) :: chain, platform, schedule
    type(memsched_action) :: a
    integer :: has_action
    real(real64) :: x(m), tape(m), slot(m, snaps)
    integer(int64) :: slot_step(snaps), k, cur
    call check_status(memsched_chain_create(n, 1.0_real64, 1.0_real64, chain))
    call check_status(memsched_platform_create_ram(snaps, platform))
    call check_status(memsched_plan(chain, platform, planner, schedule))
    slot_step = -1
    x = x0
    cur = 0
    pbar = 0
    do
      call check_status(memsched_schedule_next(schedule, a, has_action))
      if (has_action == 0) exit
      select case (a%kind)
      case (MEMSCHED_FORWARD)
        call require(cur == a%begin, "forward from another state")
        do k = a%begin, a%end - 1
          if (a%flag /= 0) tape = x   ! recording: one step's tape is its input state
          call step(x, p)
        end do
        cur = a%end
      case (MEMSCHED_END_FORWARD)
        j = 0.5_real64*sum(x**2)
        xbar = x
      case (MEMSCHED_REVERSE)
        call require(a%end - a%begin == 1, "one taped step at a time")
        call step_adjoint(tape, p, xbar, pbar)
      case (MEMSCHED_COPY, MEMSCHED_MOVE)
        call require(a%content == MEMSCHED_STATE, "states only")
        if (a%from == MEMSCHED_WORK) then
          k = findloc(slot_step, -1_int64, dim=1)
          call require(k > 0, "more checkpoints than slots")
          slot(:, k) = x
          slot_step(k) = a%step
        else
          k = findloc(slot_step, a%step, dim=1)
          call require(k > 0, "restore of a state not stored")
          x = slot(:, k)
          cur = a%step
          if (a%kind == MEMSCHED_MOVE) slot_step(k) = -1
        end if
      case (MEMSCHED_FREE)
        k = findloc(slot_step, a%step, dim=1)
        if (k > 0) slot_step(k) = -1
      end select
    end do
    call require(all(slot_step == -1), "checkpoints left at the end")
    call memsched_schedule_free(schedule)
    call memsched_platform_free(platform)
    call memsched_chain_free(chain)
  end subroutine

  subroutine check_status(status)
    integer, intent(in) :: status
    if (status /= MEMSCHED_OK) then
      write (error_unit, *) "memsched: ", memsched_error_message()
      error stop 1
    end if
  end subroutine

  subroutine require(condition, message)
    logical, intent(in) :: condition
    character(len=*), intent(in) :: message
    if (.not. condition) then
      write (error_unit, *) message
      error stop 1
    end if
  end subroutine

end program time_loop
