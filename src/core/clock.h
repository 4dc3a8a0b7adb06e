/*
 * clock.h: wall-clock and monotonic milliseconds.
 *
 * Record timestamps and commit timestamps use the wall clock (clock_now_ms);
 * timers and timeouts use the monotonic clock (clock_mono_ms) so that a clock
 * step does not fire or stall them.
 */
#ifndef TM_CLOCK_H
#define TM_CLOCK_H

#include <stdint.h>

int64_t clock_now_ms(void);
int64_t clock_mono_ms(void);
int64_t clock_mono_us(void);

#endif
