/* testos: the CPL3 task entry points (u_work.c) that the kernel's workloads start. The
   return value becomes the task's exit status. */
#ifndef TESTOS_TASKS_H
#define TESTOS_TASKS_H

#define COMPUTE_TASKS 4
#define RACE_TICKS 50 /* the race workload's default length */
#define FLAKY_TICKS 20 /* the flaky workload's default length */

long u_hello_main(long arg);
long u_compute_main(long arg);
long u_echo_main(long arg);
long u_race_main(long ticks);
long u_panic_main(long arg);
long u_flaky_main(long ticks);

#endif
