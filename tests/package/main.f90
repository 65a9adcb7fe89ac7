! Uses the installed Fortran module: Revolve(1000, 10) by the registry and the simulator.
program consumer_fortran
  use memsched
  use, intrinsic :: iso_fortran_env, only: int64, real64
  implicit none
  type(c_ptr) :: chain, platform
  type(memsched_report) :: report
  if (memsched_chain_create(1000_int64, 1.0_real64, 1.0_real64, chain) /= MEMSCHED_OK) error stop 1
  if (memsched_platform_create_ram(10_int64, platform) /= MEMSCHED_OK) error stop 1
  if (memsched_simulate_plan(chain, platform, "revolve", report) /= MEMSCHED_OK) error stop 1
  print '(a,i0)', "revolve: forward steps ", report%forward_steps
  if (report%forward_steps /= 4636) error stop 1
  call memsched_platform_free(platform)
  call memsched_chain_free(chain)
end program consumer_fortran
