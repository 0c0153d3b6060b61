/*
 * errors.cc: how the shim reports a failure: the status names, and the messages kept on
 * a handle (or copied to the caller's buffer) when NEWSIDX_CATCH (private.hh) turns an
 * exception into a status.  Nothing C++ escapes into C.
 */
#include "private.hh"

#include <cstring>

namespace shim {

/* Stores a message without letting an allocation failure escape. */
newsidx_status_t fail(std::string *err, newsidx_status_t st, const char *what) noexcept
{
    if (err) {
        try {
            *err = what;
        } catch (...) {
            err->clear();
        }
    }
    return st;
}

newsidx_status_t fail_x(std::string *err, newsidx_status_t st, const Xapian::Error &e) noexcept
{
    if (err) {
        try {
            *err = e.get_type();
            *err += ": ";
            *err += e.get_msg();
            const char *es = e.get_error_string();
            if (es && *es) {
                *err += " (";
                *err += es;
                *err += ")";
            }
        } catch (...) {
            err->clear();
        }
    }
    return st;
}

/* A DatabaseError carrying an errno is a failure of the disk or the filesystem; one
 * without is the database's own content failing to make sense (a truncated table gives
 * "EOF reading block 0"), i.e. damage. */
newsidx_status_t db_error_status(const Xapian::DatabaseError &e) noexcept
{
    const char *es = e.get_error_string();
    return (es && *es) ? NEWSIDX_IO : NEWSIDX_CORRUPT;
}


std::string describe(const Xapian::Error &e)
{
    std::string m;
    fail_x(&m, NEWSIDX_INTERNAL, e);
    return m;
}

void copy_msg(const std::string &err, char *msg, size_t msglen)
{
    if (!msg || msglen == 0) return;
    size_t n = err.size() < msglen - 1 ? err.size() : msglen - 1;
    memcpy(msg, err.data(), n);
    msg[n] = '\0';
}

}  // namespace shim

const char *newsidx_status_name(newsidx_status_t status)
{
    switch (status) {
    case NEWSIDX_OK: return "ok";
    case NEWSIDX_NOT_FOUND: return "not_found";
    case NEWSIDX_BAD_QUERY: return "bad_query";
    case NEWSIDX_BAD_ARGUMENT: return "bad_argument";
    case NEWSIDX_NO_INDEX: return "no_index";
    case NEWSIDX_CORRUPT: return "corrupt";
    case NEWSIDX_LOCKED: return "locked";
    case NEWSIDX_MODIFIED: return "modified";
    case NEWSIDX_IO: return "io";
    case NEWSIDX_NO_MEMORY: return "no_memory";
    case NEWSIDX_TIMEOUT: return "timeout";
    case NEWSIDX_INTERNAL: return "internal";
    case NEWSIDX_SHARD_UNAVAILABLE: return "shard_unavailable";
    case NEWSIDX_OLD_FORMAT: return "old_format";
    }
    return "unknown";
}

const char *newsidx_xapian_version(void)
{
    return Xapian::version_string();
}
