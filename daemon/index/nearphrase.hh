/*
 * nearphrase.hh: NEAR and ADJ between phrases (nearphrase.cc, newsd(8) "QUERY SYNTAX").
 * Xapian 1.4's parser takes only single words as operands of NEAR/n and ADJ/n: given a
 * quoted phrase it reports a syntax error to itself and parses the line again with the
 * operators as words, so `"interest rates" NEAR/5 "federal reserve"` silently becomes
 * interest AND rates AND (near PHRASE 5) AND federal AND reserve.  Here the query string
 * is read first for `OPERAND (NEAR|ADJ)[/n] OPERAND` with a quoted phrase on either
 * side; each such expression is handed to the parser as a field of our own, whose
 * processor builds the query for it; forms we do not support are NEWSIDX_BAD_QUERY with
 * the byte where they start.
 */
#ifndef NEWSIDX_NEARPHRASE_HH
#define NEWSIDX_NEARPHRASE_HH

#include <xapian.h>

#pragma GCC visibility push(hidden)

namespace shim {

/* query parsed by qp (set up by setup_query_parser) with flags, NEAR and ADJ between
 * phrases included; ApiErrorMsg NEWSIDX_BAD_QUERY for a form this cannot do exactly. */
Xapian::Query parse_with_near(Xapian::QueryParser &qp, const char *query, unsigned flags);

}  // namespace shim

#pragma GCC visibility pop

#endif
