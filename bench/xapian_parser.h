/*
 * xapian_parser.h: the daemon's query-parser setup (daemon/index/newsidx.cc), for the bench
 * programs that call Xapian directly (xapian_ids.cc, xapian_shards.cc), so that they
 * parse the log's words and phrases into the same queries as newsd.
 */
#ifndef BENCH_XAPIAN_PARSER_H
#define BENCH_XAPIAN_PARSER_H

#include <xapian.h>

inline void bench_setup_parser(Xapian::QueryParser &qp, const Xapian::Database &db)
{
    qp.set_stemmer(Xapian::Stem("en"));
    qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    qp.set_default_op(Xapian::Query::OP_AND);
    qp.set_database(db);
    qp.add_prefix("", "");
    qp.add_prefix("", "S");
}

const unsigned BENCH_QUERY_FLAGS = Xapian::QueryParser::FLAG_DEFAULT |
                                   Xapian::QueryParser::FLAG_WILDCARD |
                                   Xapian::QueryParser::FLAG_PURE_NOT;

#endif
