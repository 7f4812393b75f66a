/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The trace event of cxl_region: what the host did with each extent of a
 * Dynamic Capacity event record. The record itself is the core's
 * cxl_dynamic_capacity event (patches/0015).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM cxl_region

#if !defined(_RCXL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _RCXL_TRACE_H

#include <linux/device.h>
#include <linux/tracepoint.h>

#define show_dc_record(type)	__print_symbolic(type,		\
	{ 0x00, "add" },					\
	{ 0x01, "release" },					\
	{ 0x02, "forced_release" },				\
	{ 0x03, "region_config" })

TRACE_EVENT(cxl_dc_extent,

	TP_PROTO(const struct device *memdev, int region, u8 record, u64 dpa,
		 u64 length, const u8 *tag, u16 seq, const char *what,
		 const char *why),

	TP_ARGS(memdev, region, record, dpa, length, tag, seq, what, why),

	TP_STRUCT__entry(
		__string(memdev, dev_name(memdev))
		__field(int, region)
		__field(u8, record)
		__field(u64, dpa)
		__field(u64, length)
		__array(u8, tag, 16)
		__field(u16, seq)
		__string(what, what)
		__string(why, why)
	),

	TP_fast_assign(
		__assign_str(memdev);
		__entry->region = region;
		__entry->record = record;
		__entry->dpa = dpa;
		__entry->length = length;
		memcpy(__entry->tag, tag, 16);
		__entry->seq = seq;
		__assign_str(what);
		__assign_str(why);
	),

	TP_printk("memdev=%s record=%s dpa=%#llx length=%#llx tag=%pU seq=%u region=%d host=%s%s%s",
		  __get_str(memdev), show_dc_record(__entry->record),
		  __entry->dpa, __entry->length, __entry->tag, __entry->seq,
		  __entry->region, __get_str(what),
		  __get_str(why)[0] ? ": " : "", __get_str(why))
);

#endif /* _RCXL_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE rcxl_trace
#include <trace/define_trace.h>
