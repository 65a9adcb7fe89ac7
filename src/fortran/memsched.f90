! The memsched Fortran module: the C interface (memsched/memsched.h) through ISO_C_BINDING,
! with Fortran wrappers where strings or optional arguments make the C calls awkward.
!
! Counts are integer(int64). A call that fails returns a status other than MEMSCHED_OK and
! memsched_error_message() says why. The Revolve loop (memsched_revolve) follows Revolve's
! protocol: check = -1, capo = 0, fine = n, then call until MEMSCHED_REVOLVE_TERMINATE.
module memsched
  use, intrinsic :: iso_c_binding, only: c_ptr, c_null_ptr, c_char, c_null_char, c_int, &
                                         c_int32_t, c_int64_t, c_double, c_size_t, &
                                         c_associated, c_f_pointer
  use, intrinsic :: iso_fortran_env, only: int64
  implicit none
  private

  ! Status codes (memsched_status).
  integer(c_int), parameter, public :: MEMSCHED_OK = 0, MEMSCHED_INVALID_ARGUMENT = 1, &
    MEMSCHED_OUT_OF_RANGE = 2, MEMSCHED_NO_SCHEDULE = 3, MEMSCHED_ILLEGAL_SCHEDULE = 4, &
    MEMSCHED_TOO_LARGE = 5, MEMSCHED_INTERNAL_ERROR = 6
  ! Action kinds (memsched_action_kind) and contents.
  integer(c_int32_t), parameter, public :: MEMSCHED_FORWARD = 0, MEMSCHED_REVERSE = 1, &
    MEMSCHED_COPY = 2, MEMSCHED_MOVE = 3, MEMSCHED_FREE = 4, MEMSCHED_END_FORWARD = 5, &
    MEMSCHED_END_REVERSE = 6, MEMSCHED_STATE = 0, MEMSCHED_TAPE = 1, MEMSCHED_WORK = -1
  ! Revolve's actions (memsched_revolve_action).
  integer(c_int), parameter, public :: MEMSCHED_REVOLVE_ADVANCE = 0, &
    MEMSCHED_REVOLVE_TAKESHOT = 1, MEMSCHED_REVOLVE_RESTORE = 2, MEMSCHED_REVOLVE_FIRSTURN = 3, &
    MEMSCHED_REVOLVE_YOUTURN = 4, MEMSCHED_REVOLVE_TERMINATE = 5, MEMSCHED_REVOLVE_ERROR = 6

  !> One action (memsched_action): kind, content, flag (forward: record; reverse: clear),
  !> from/to (a level, or MEMSCHED_WORK), the step range begin..end-1, the checkpoint's step.
  type, bind(c), public :: memsched_action
    integer(c_int32_t) :: kind = 0, content = 0, flag = 0, from = -1, to = -1, unused = 0
    integer(c_int64_t) :: begin = 0, end = 0, step = 0
  end type

  !> What a legal schedule did (memsched_report).
  type, bind(c), public :: memsched_report
    integer(c_int64_t) :: num_actions = 0, forward_steps = 0, recorded_steps = 0, &
                          adjoint_steps = 0, reverse_sweeps = 0, peak_work_tapes = 0, &
                          advances = 0
    real(c_double) :: cost = 0
  end type

  !> Parameters some planners take (0: the planner's default).
  type, bind(c), public :: memsched_plan_options
    integer(c_int64_t) :: period = 0, sweeps = 0
  end type

  ! Handles are C pointers: type(c_ptr) :: chain, platform, schedule.
  public :: c_ptr, c_null_ptr
  public :: memsched_chain_create, memsched_chain_free, memsched_platform_create_ram, &
            memsched_platform_free, memsched_schedule_next, memsched_schedule_free, &
            memsched_revolve, memsched_revolve_maxrange, memsched_revolve_adjust, &
            memsched_revolve_numforw, memsched_planner_count
  public :: memsched_plan, memsched_simulate_plan, memsched_error_message, memsched_planner_name

  interface
    integer(c_int) function memsched_chain_create(num_steps, forward_cost, adjoint_cost, &
                                                  chain) bind(c, name="memsched_chain_create")
      import :: c_int, c_int64_t, c_double, c_ptr
      integer(c_int64_t), value :: num_steps
      real(c_double), value :: forward_cost, adjoint_cost
      type(c_ptr), intent(out) :: chain
    end function
    subroutine memsched_chain_free(chain) bind(c, name="memsched_chain_free")
      import :: c_ptr
      type(c_ptr), value :: chain
    end subroutine
    integer(c_int) function memsched_platform_create_ram(num_slots, platform) &
        bind(c, name="memsched_platform_create_ram")
      import :: c_int, c_int64_t, c_ptr
      integer(c_int64_t), value :: num_slots
      type(c_ptr), intent(out) :: platform
    end function
    subroutine memsched_platform_free(platform) bind(c, name="memsched_platform_free")
      import :: c_ptr
      type(c_ptr), value :: platform
    end subroutine
    integer(c_int) function c_plan(chain, platform, planner, options, schedule) &
        bind(c, name="memsched_plan")
      import :: c_int, c_ptr, c_char, memsched_plan_options
      type(c_ptr), value :: chain, platform
      character(kind=c_char), intent(in) :: planner(*)
      type(memsched_plan_options), intent(in) :: options
      type(c_ptr), intent(out) :: schedule
    end function
    integer(c_int) function memsched_schedule_next(schedule, action, has_action) &
        bind(c, name="memsched_schedule_next")
      import :: c_int, c_ptr, memsched_action
      type(c_ptr), value :: schedule
      type(memsched_action), intent(out) :: action
      integer(c_int), intent(out) :: has_action
    end function
    subroutine memsched_schedule_free(schedule) bind(c, name="memsched_schedule_free")
      import :: c_ptr
      type(c_ptr), value :: schedule
    end subroutine
    integer(c_int) function c_simulate_plan(chain, platform, planner, options, report) &
        bind(c, name="memsched_simulate_plan")
      import :: c_int, c_ptr, c_char, memsched_plan_options, memsched_report
      type(c_ptr), value :: chain, platform
      character(kind=c_char), intent(in) :: planner(*)
      type(memsched_plan_options), intent(in) :: options
      type(memsched_report), intent(out) :: report
    end function
    type(c_ptr) function c_last_error() bind(c, name="memsched_last_error")
      import :: c_ptr
    end function
    integer(c_size_t) function memsched_planner_count() bind(c, name="memsched_planner_count")
      import :: c_size_t
    end function
    type(c_ptr) function c_planner_name(index) bind(c, name="memsched_planner_name")
      import :: c_ptr, c_size_t
      integer(c_size_t), value :: index
    end function
    !> Revolve's control loop with 64-bit counts (memsched_revolve64 in memsched.h).
    integer(c_int) function memsched_revolve(check, capo, fine, snaps, info) &
        bind(c, name="memsched_revolve64")
      import :: c_int, c_int64_t
      integer(c_int64_t), intent(inout) :: check, capo, fine
      integer(c_int64_t), value :: snaps
      integer(c_int), intent(out) :: info
    end function
    integer(c_int64_t) function memsched_revolve_maxrange(snaps, reps) &
        bind(c, name="memsched_revolve_maxrange")
      import :: c_int64_t
      integer(c_int64_t), value :: snaps, reps
    end function
    integer(c_int64_t) function memsched_revolve_adjust(steps) &
        bind(c, name="memsched_revolve_adjust")
      import :: c_int64_t
      integer(c_int64_t), value :: steps
    end function
    integer(c_int64_t) function memsched_revolve_numforw(steps, snaps) &
        bind(c, name="memsched_revolve_numforw")
      import :: c_int64_t
      integer(c_int64_t), value :: steps, snaps
    end function
    integer(c_size_t) function c_strlen(text) bind(c, name="strlen")
      import :: c_size_t, c_ptr
      type(c_ptr), value :: text
    end function
  end interface

contains

  !> Plans `chain` on `platform` with the registry planner called `planner` (any name of
  !> memsched_planner_name, the online ones included); `schedule` yields its actions.
  integer(c_int) function memsched_plan(chain, platform, planner, schedule, options)
    type(c_ptr), intent(in) :: chain, platform
    character(len=*), intent(in) :: planner
    type(c_ptr), intent(out) :: schedule
    type(memsched_plan_options), intent(in), optional :: options
    type(memsched_plan_options) :: chosen
    if (present(options)) chosen = options
    memsched_plan = c_plan(chain, platform, trim(planner)//c_null_char, chosen, schedule)
  end function

  !> Plans and replays the whole schedule through the simulator (streaming).
  integer(c_int) function memsched_simulate_plan(chain, platform, planner, report, options)
    type(c_ptr), intent(in) :: chain, platform
    character(len=*), intent(in) :: planner
    type(memsched_report), intent(out) :: report
    type(memsched_plan_options), intent(in), optional :: options
    type(memsched_plan_options) :: chosen
    if (present(options)) chosen = options
    memsched_simulate_plan = c_simulate_plan(chain, platform, trim(planner)//c_null_char, &
                                             chosen, report)
  end function

  !> The message of the last failed call on this thread.
  function memsched_error_message() result(message)
    character(len=:), allocatable :: message
    message = from_c_string(c_last_error())
  end function

  !> The name of planner `index` (from 0), or "" past the last.
  function memsched_planner_name(index) result(name)
    integer, intent(in) :: index
    character(len=:), allocatable :: name
    name = from_c_string(c_planner_name(int(index, c_size_t)))
  end function

  function from_c_string(text) result(copy)
    type(c_ptr), intent(in) :: text
    character(len=:), allocatable :: copy
    character(kind=c_char), pointer :: chars(:)
    integer :: i, length
    if (.not. c_associated(text)) then
      copy = ""
      return
    end if
    length = int(c_strlen(text))
    call c_f_pointer(text, chars, [length])
    allocate (character(len=length) :: copy)
    do i = 1, length
      copy(i:i) = chars(i)
    end do
  end function

end module memsched
