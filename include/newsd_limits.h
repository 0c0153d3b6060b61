/*
 * newsd_limits.h: every limit and default of newsd, newsq and newsindex, in one place.
 *
 * Each constant is named, has a one-line reason, and is documented in the man page of
 * the program it bounds (newsd(8): "QUERY LIMITS", "CONNECTIONS AND LIMITS";
 * newsindex(8) and newsq(1): "LIMITS").  Code never repeats one of these numbers literally.
 */
#ifndef NEWSD_LIMITS_H
#define NEWSD_LIMITS_H

/* ---- documents (readers and index) ---- */

/* Longest document id in bytes; ids become Xapian terms, whose hard cap is 245 bytes. */
#define NEWSD_MAX_ID_LEN 200
/* Longest title kept, in bytes; longer titles are cut at a UTF-8 boundary. */
#define NEWSD_MAX_TITLE_LEN 1024
/* Longest title made from the first line of an untitled text, in bytes (cut at a word). */
#define NEWSD_DERIVED_TITLE_LEN 100
/* Longest url kept, in bytes; longer urls are cut at a UTF-8 boundary, as titles are. */
#define NEWSD_MAX_URL_LEN 2048
/* Longest single record (article body plus markup) a reader accepts, in bytes of the
 * file, NUL bytes included. */
#define NEWSD_MAX_RECORD_BYTES (8u * 1024u * 1024u)
/* Most bytes read from one file, after decompression; past it the rest is skipped. */
#define NEWSD_MAX_FILE_BYTES (4ull * 1024u * 1024u * 1024u)
/* Most a gzip file may expand (decompressed / compressed bytes read); text gives 3 to 10. */
#define NEWSD_MAX_GZ_RATIO 100
/* Decompressed bytes a file is read before NEWSD_MAX_GZ_RATIO applies (small files may
 * compress far better than text does and cost nothing). */
#define NEWSD_GZ_RATIO_FLOOR_BYTES (1024u * 1024u)
/* Most topics (and, separately, places) kept per document. */
#define NEWSD_MAX_TOPICS 64
/* Longest topic, place or source name in bytes. */
#define NEWSD_MAX_TAG_LEN 64

/* ---- search ---- */

/* Results per page when the caller does not say. */
#define NEWSD_DEFAULT_LIMIT 10
/* Most results one page may hold. */
#define NEWSD_MAX_LIMIT 100
/* SEARCH and SIMILAR fold near-duplicate clusters into one hit unless collapse=0 says
 * not (the C API's default is 0; COUNT's is 0 on the wire too: it counts articles). */
#define NEWSD_DEFAULT_COLLAPSE 1
/* Largest offset into a result list (deep paging is a scan, not a search). */
#define NEWSD_MAX_OFFSET 10000
/* Longest query string in bytes. */
#define NEWSD_MAX_QUERY_LEN 4096
/* Default snippet length in bytes of source text (before highlight markup). */
#define NEWSD_DEFAULT_SNIPPET_LEN 200
/* Words whose English stem each reader remembers for snippets (direct-mapped, about
 * 1 MiB per reader): news text repeats its words, so few are stemmed twice. */
#define NEWSD_STEM_CACHE_SLOTS 16384
/* Memory each reader (each newsd worker) keeps for decoded stored documents, by
 * default (--doc-cache-mb), and the most it may be given, in MiB. */
#define NEWSD_DEFAULT_DOC_CACHE_MB 16
#define NEWSD_MAX_DOC_CACHE_MB 65536
/* Default time a query (every command that runs a match) may run, in milliseconds: at
 * its deadline the match ends and the reply is ERR timeout (--query-timeout). */
#define NEWSD_DEFAULT_QUERY_TIMEOUT_MS 2000
/* Largest --query-timeout newsd accepts, in milliseconds. */
#define NEWSD_MAX_QUERY_TIMEOUT_MS 60000
/* Longest recency half-life a search may ask for, in days (recency=): a century. */
#define NEWSD_MAX_RECENCY_DAYS 36500
/* The recency weight of an article as new as the origin (halved every half-life), added
 * to its BM25 relevance: enough to reorder near-equal matches, not to lift a weak match
 * over a strong one (newsd(8), "RECENCY"). */
#define NEWSD_RECENCY_WEIGHT 3.0
/* The half-life newsq --recent asks for when it gives no number, in days. */
#define NEWSQ_DEFAULT_RECENT_DAYS 30
/* Values per source, topic and place facet when the caller does not say (facet_limit=). */
#define NEWSD_DEFAULT_FACET_LIMIT 10
/* Most values per source, topic and place facet one request may ask for. */
#define NEWSD_MAX_FACET_LIMIT 1000
/* Most buckets a time facet (year, month, day) may span from first to last match: a
 * day facet over 27 years; narrower with since= and until=. */
#define NEWSD_MAX_FACET_BUCKETS 10000
/* Most comma-separated values in one filter (source=, topic=, place= and not_ forms). */
#define NEWSD_MAX_FILTER_VALUES 64
/* Longest snippet a caller may ask for, in bytes of source text. */
#define NEWSD_MAX_SNIPPET_LEN 4096
/* Most index terms one wildcard (prefix*) expands to; the most frequent are kept. */
#define NEWSD_MAX_WILDCARD_TERMS 1024
/* Most terms all the wildcards of one query expand to together; over it: bad_query. */
#define NEWSD_MAX_QUERY_EXPANSION 4096
/* Most index terms the wildcards of one query may match before the most frequent are
 * kept (each is looked at to choose them); over it: bad_query. */
#define NEWSD_MAX_WILDCARD_SCAN 65536
/* Most subqueries (terms, phrases, operators, filters) of one parsed query; over it:
 * bad_query. */
#define NEWSD_MAX_QUERY_NODES 1024
/* A search that matches fewer documents than this looks for a spelling correction
 * ("did you mean", newsd(8)); one with more is taken as spelt as meant. */
#define NEWSD_SUGGEST_FEW_MATCHES 5
/* A correction is offered when it matches at least this many times as many documents as
 * the query typed (at least one when that matched none). */
#define NEWSD_SUGGEST_GAIN 10
/* The distance of NEAR and ADJ when the query gives none (NEAR/n gives n): Xapian's. */
#define NEWSD_DEFAULT_NEAR_DISTANCE 10
/* Largest n of NEAR/n and ADJ/n with a phrase operand; more is bad_query. */
#define NEWSD_MAX_NEAR_DISTANCE 1000
/* A match reads the clock once per this many candidates it considers, to end at its
 * deadline (a clock read costs about as much as a few candidates). */
#define NEWSD_DEADLINE_CHECK_EVERY 64
/* The wildcards' scan of the index terms reads the clock once per this many terms, to
 * end at the deadline (a term costs about a microsecond). */
#define NEWSD_WILDCARD_CHECK_EVERY 256
/* A match whose wildcards expand to this many terms or more runs under the deadline
 * guard whatever its postings: merging that many posting lists costs more per posting. */
#define NEWSD_DEADLINE_MIN_EXPANSION 128
/* A query whose posting lists hold fewer entries than this in all, and that has no
 * phrase or NEAR, runs without the deadline's guard: reading them takes tens of
 * milliseconds, well inside the slack a deadline allows, and the guard is not free. */
#define NEWSD_DEADLINE_MIN_POSTINGS 1000000
/* Expand terms of an article newsidx_similar searches with (the best by Xapian's expand
 * weight): more find more of the article's story, and cost more postings. */
#define NEWSD_SIMILAR_TERMS 30
/* Of those held by other documents too, the best this many: a related story holds at
 * least one of them, and the rest only add to its weight (fewer candidates than any of
 * all NEWSD_SIMILAR_TERMS). */
#define NEWSD_SIMILAR_CORE_TERMS 5
/* Documents newsidx_similar reads to find the article's identical copies (those holding
 * the rarest of its expand terms): past this many it stops looking. */
#define NEWSD_SIMILAR_DUP_CHECK 32
/* Rarest of an article's expand terms that a document must hold to be compared as its
 * copy. */
#define NEWSD_SIMILAR_DUP_TERMS 3
/* Near-duplicates (newsidx.h): bodies with fewer words have no fingerprint; fingerprints
 * at most this many bits apart are near-duplicates (4 bands of 16 bits find every such
 * pair, so it may not pass 3); a cluster's members listed by DUPS at most. */
#define NEWSD_DUP_MIN_WORDS 20
#define NEWSD_DUP_MAX_DISTANCE 3
#define NEWSD_MAX_DUP_MEMBERS 1000
/* Longest Xapian term in bytes (glass's hard cap); longer filter terms are cut. */
#define NEWSD_MAX_TERM_LEN 245
/* Times a read reopens the index and runs again when a commit moved the index under it
 * (the index layer's retry, the only one): commits in quick succession can do that more
 * than once; one more after these is NEWSIDX_MODIFIED. */
#define NEWSD_MODIFIED_RETRIES 3

/* ---- indexer ---- */

/* Documents buffered per Xapian flush in bulk builds: small batches keep the
 * in-memory posting maps near cache size (XAPIAN-INDEXING.md: flat optimum 500-1000). */
#define NEWSD_BULK_FLUSH_THRESHOLD 500
/* Words whose spelling-table changes a writer sums in memory before it writes them to
 * the table (at a commit, or when this many are waiting): some 100 bytes each. */
#define NEWSD_SPELLING_BATCH_WORDS (1u << 20)
/* Documents between commits when updating an existing index (--commit-every). */
#define NEWSD_UPDATE_COMMIT_EVERY 10000
/* Largest --commit-every accepted. */
#define NEWSD_MAX_COMMIT_EVERY 1000000000
/* Most parallel builders a bulk build uses, whatever the core count. */
#define NEWSD_MAX_BUILDERS 16
/* Most shards of a sharded index (newsindex --shards, and the shards newsd serves). */
#define NEWSD_MAX_SHARDS 64
/* Most bulk writers a sharded build keeps open at once (builders x shards, each
 * buffering NEWSD_BULK_FLUSH_THRESHOLD / shards documents): past it, fewer builders. */
#define NEWSD_MAX_SHARD_WRITERS 128
/* Bytes sampled from each input file to weigh text against markup when balancing builders. */
#define NEWSD_SAMPLE_BYTES 65536
/* Input warnings (bad records, unreadable files) printed per run; the rest are counted. */
#define NEWSD_MAX_WARNINGS 100
/* Width of the progress bar, in characters. */
#define NEWSD_PROGRESS_BAR_WIDTH 24
/* How often the progress bar is redrawn, in milliseconds. */
#define NEWSD_PROGRESS_INTERVAL_MS 200

/* Longest metadata key in bytes (glass keys are capped near 250 bytes); newsindex
 * replaces the path in longer file-record keys by a digest. */
#define NEWSD_MAX_METADATA_KEY_LEN 240
/* Seconds newsindex waits for another writer's lock by default (--lock-timeout). */
#define NEWSD_LOCK_TIMEOUT_S 30
/* Largest --lock-timeout accepted, in seconds. */
#define NEWSD_MAX_LOCK_TIMEOUT_S 86400
/* Milliseconds between attempts to take a locked index. */
#define NEWSD_LOCK_RETRY_MS 100
/* How often --progress-json writes a progress line, in milliseconds. */
#define NEWSD_PROGRESS_JSON_MS 500

/* ---- daemon (newsd): see newsd(8), "CONNECTIONS AND LIMITS" ---- */

/* TCP port of the default listener. */
#define NEWSD_DEFAULT_PORT 7878
/* Host of the default TCP listener: loopback only (and read-only without a token). */
#define NEWSD_DEFAULT_HOST "127.0.0.1"
/* The default Unix socket is this file in a per-user folder (daemon/common/sockdir.c), as
 * tmux does: $XDG_RUNTIME_DIR/NEWSD_SOCKET_DIR_NAME when that variable is set, else
 * NEWSD_SOCKET_TMP_PREFIX followed by the user id; the folder is the user's, mode 0700. */
#define NEWSD_DEFAULT_SOCKET_NAME "newsd.sock"
#define NEWSD_SOCKET_DIR_NAME "newsd"
#define NEWSD_SOCKET_TMP_PREFIX "/tmp/newsd-"
/* Most --listen addresses. */
#define NEWSD_MAX_LISTENERS 16
/* Pending connects the kernel queues per listener: a burst of hundreds must not stall. */
#define NEWSD_LISTEN_BACKLOG 1024
/* Most worker threads (--workers). */
#define NEWSD_MAX_WORKERS 64
/* Open client connections by default (--max-connections); over it: ERR busy, close. */
#define NEWSD_MAX_CONNECTIONS 1000
/* Connections of --max-connections kept for Unix sockets (the administrator), at most a
 * quarter of it: TCP connections beyond the rest get ERR busy. */
#define NEWSD_UNIX_RESERVED_CONNECTIONS 16
/* File descriptors kept for the index, pipes and listeners beyond one per connection. */
#define NEWSD_RESERVED_FDS 64
/* After accept fails for want of descriptors or memory, ms before listening again. */
#define NEWSD_ACCEPT_RETRY_MS 100
/* Largest --max-connections accepted. */
#define NEWSD_MAX_CONNECTIONS_LIMIT 100000
/* Longest request line in bytes, without its line end; over it: ERR too_long, close. */
#define NEWSD_MAX_LINE (64u * 1024u)
/* Unprocessed request bytes read ahead per connection (pipelining); must exceed MAX_LINE. */
#define NEWSD_MAX_INPUT (256u * 1024u)
/* Unsent reply bytes of a connection (newsd's buffer plus the socket's unsent queue)
 * above which its next request waits until the client reads: a client that never reads
 * gets a page or two computed beyond what its own receive buffer takes, not dozens. */
#define NEWSD_MAX_UNSENT (32u * 1024u)
/* Kernel send buffer of a TCP client socket (SO_SNDBUF; Linux doubles it): room for
 * replies in flight to a distant reader.  Unsent bytes in it count in NEWSD_MAX_UNSENT;
 * a Unix socket gets 2 * NEWSD_MAX_UNSENT, so it polls writable just below that line. */
#define NEWSD_SOCKET_SNDBUF (256 * 1024)
/* A connection waiting for its client to read looks again after this many ms when the
 * socket cannot say so (it polls writable while more than NEWSD_MAX_UNSENT is unsent) ... */
#define NEWSD_DRAIN_POLL_MS 1
/* ... doubling the wait while nothing moves, up to this many ms. */
#define NEWSD_DRAIN_POLL_MAX_MS 64
/* Seconds a connection may make no progress draining its replies before it is closed. */
#define NEWSD_OUTPUT_STALL_S 30
/* Seconds a connection may send nothing between requests by default (--idle-timeout). */
#define NEWSD_IDLE_TIMEOUT_S 300
/* Largest --idle-timeout accepted, in seconds. */
#define NEWSD_MAX_IDLE_TIMEOUT_S 86400
/* Milliseconds a started request line has to be finished (slow senders are cut off). */
#define NEWSD_LINE_TIMEOUT_MS 10000
/* Milliseconds a closing connection's leftover input is read and dropped before close. */
#define NEWSD_LINGER_MS 2000
/* The same once SIGTERM has come: the daemon exits within its query deadline plus this
 * and a little, even while clients keep sending. */
#define NEWSD_SHUTDOWN_LINGER_MS 500
/* Requests of one connection served per turn, so a pipelining client cannot starve others. */
#define NEWSD_MAX_REQUESTS_PER_WAKEUP 32
/* Microseconds one connection's pipelined requests may be served per turn (after its
 * first): 32 full pages with snippets can hold a worker for seconds on a busy machine. */
#define NEWSD_TURN_BUDGET_US 5000
/* Longest reply to one request by default (--max-reply-bytes), in bytes: room for GET of
 * the largest record (NEWSD_MAX_RECORD_BYTES) escaped in JSON; longer: ERR reply_too_large. */
#define NEWSD_MAX_REPLY_BYTES (32u * 1024u * 1024u)
/* The range of --max-reply-bytes. */
#define NEWSD_MIN_REPLY_BYTES (64u * 1024u)
#define NEWSD_MAX_REPLY_BYTES_LIMIT (1024u * 1024u * 1024u)
/* Most name=value options in one request. */
#define NEWSD_MAX_OPTIONS 16
/* Longest option name in bytes. */
#define NEWSD_MAX_OPTION_NAME 32
/* Longest option value in bytes. */
#define NEWSD_MAX_OPTION_VALUE 256
/* Writes (ADD, DELETE) waiting for a commit; over it: ERR busy. */
#define NEWSD_WRITE_QUEUE_MAX 10000
/* Most writes in one group commit; the rest go in the next. */
#define NEWSD_WRITE_BATCH_MAX 1000
/* ADD/DELETE requests of one connection with the writer at once: pipelined writes share
 * commits, and their replies are held in order meanwhile. */
#define NEWSD_MAX_PIPELINED_WRITES 256
/* A worker reopens its reader at least this often (ms): outside commits show within 1 s. */
#define NEWSD_READER_REFRESH_MS 500
/* The writer releases the index's write lock after this many ms without writes. */
#define NEWSD_WRITER_IDLE_MS 2000
/* Largest --busy-poll-us: how long a worker may poll for input before it sleeps. */
#define NEWSD_MAX_BUSY_POLL_US 10000
/* Default --busy-poll-us: the longest poll window, long enough to catch the next request
 * of a client that sends one after another (commit 5adaa78 measured the gaps). */
#define NEWSD_DEFAULT_BUSY_POLL_US 300
/* A worker's poll window grows from this (us) when input came soon after it slept, and
 * doubles from there; halved below it, the window is 0 (sleep at once). */
#define NEWSD_BUSY_POLL_GROW_START_US 25

/* ---- shards (newsd(8), "SHARDED INDEXES") ---- */

/* (NEWSD_MAX_SHARDS, above, also bounds newsd's --shard list and stub lines: one
 * descriptor per remote shard per worker, and every query asks each of them.) */
/* Default ms a query waits for each exchange with a remote shard (--shard-timeout). */
#define NEWSD_DEFAULT_SHARD_TIMEOUT_MS 2000
/* Largest --shard-timeout accepted, in ms. */
#define NEWSD_MAX_SHARD_TIMEOUT_MS 60000
/* Most ms spent connecting to a remote shard (capped by the shard timeout): a dead host
 * must not cost every retry a full TCP timeout. */
#define NEWSD_SHARD_CONNECT_TIMEOUT_MS 1000
/* A shard that is down is tried again at most this often (ms), so a dead shard costs a
 * query no connect attempt most of the time. */
#define NEWSD_SHARD_RETRY_MS 1000
/* Largest stub database file read, in bytes (NEWSD_MAX_SHARDS lines fit easily). */
#define NEWSD_MAX_STUB_BYTES 65536

/* ---- REINDEX (daemon/server/reindex.c) ---- */

/* Live writes (ids) a rebuild remembers to carry over into the new index; past this the
 * rebuild fails (the writes themselves are never refused or lost). */
#define NEWSD_REINDEX_JOURNAL_MAX 1000000
/* Paths one REINDEX request may name. */
#define NEWSD_REINDEX_MAX_PATHS 64
/* Most --corpus-root folders: REINDEX reads nothing outside them. */
#define NEWSD_MAX_CORPUS_ROOTS 16
/* Niceness of the newsindex child a REINDEX runs, so queries keep their CPU
 * (--reindex-nice). */
#define NEWSD_REINDEX_NICE 10
/* Largest --reindex-nice: the highest niceness Linux gives (the lowest priority). */
#define NEWSD_MAX_REINDEX_NICE 19
/* Most ms a swap waits for every worker to leave the old index before removing it (a
 * worker busy past this still reads it safely: its open files outlive the removal). */
#define NEWSD_REINDEX_DRAIN_MS 30000
/* After SIGTERM, connections still open after this many ms are closed. */
#define NEWSD_SHUTDOWN_GRACE_MS 10000
/* Bytes of a bad request quoted (cleaned) in the log. */
#define NEWSD_LOG_SAMPLE_LEN 64
/* Bad requests of one connection logged with a sample; the rest are counted and logged
 * once at its close, so a client reading its error replies cannot flood the log (each
 * line of garbage is some 140 bytes of log, one write(2) of a worker). */
#define NEWSD_LOG_BAD_PER_CONN 8
/* Longest log line in bytes; longer ones are cut. */
#define NEWSD_LOG_LINE_LEN 1024
/* Upper bounds (microseconds) of the request duration histogram (GET /metrics'
 * newsd_request_duration_seconds, and STATS' percentiles): 100 us to 10 s, about three a
 * decade, as Prometheus's default buckets. */
#define NEWSD_DURATION_BUCKETS_US 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, \
    100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000
/* How many bounds NEWSD_DURATION_BUCKETS_US lists. */
#define NEWSD_DURATION_BUCKET_COUNT 16

/* ---- HTTP (--http; newsd(8), "HTTP") ---- */

/* Most --http addresses. */
#define NEWSD_MAX_HTTP_LISTENERS 8
/* Longest request target (path and query) in bytes; over it: 414. */
#define NEWSD_HTTP_MAX_TARGET 8192
/* Most bytes of the request line and headers together; over it: 413, close. */
#define NEWSD_HTTP_MAX_HEADERS (16u * 1024u)
/* Largest request body in bytes (POST /doc: one article, or JSON Lines); over it: 413. */
#define NEWSD_HTTP_MAX_BODY (8u * 1024u * 1024u)
/* Most articles in one POST /doc (JSON Lines); more: 400, nothing written. */
#define NEWSD_HTTP_MAX_DOCS NEWSD_MAX_PIPELINED_WRITES
/* Seconds an HTTP connection may stay idle between requests (keep-alive) or take to send
 * one; --idle-timeout, when shorter, wins. */
#define NEWSD_HTTP_IDLE_TIMEOUT_S 15
/* Longest --http-cors origin in bytes. */
#define NEWSD_HTTP_MAX_ORIGIN 256
/* The workers share each --http socket and take its connections in turn: one that has
 * accepted more than another waits for it this long at most before it accepts again (a
 * worker busy with a long query must not hold new connections back). */
#define NEWSD_HTTP_ACCEPT_HANDOFF_MS 50
/* Buckets of each worker's table of HTTP connections by their libevent handle. */
#define NEWSD_HTTP_CONN_BUCKETS 256

/* ---- authority for writes (newsd(8), "AUTHORITY FOR WRITES") ---- */

/* Longest write token (--auth-token-file) in bytes: room for any generated secret. */
#define NEWSD_AUTH_TOKEN_MAX_LEN 256
/* Shortest write token in bytes: 16 random bytes cannot be guessed over a network. */
#define NEWSD_AUTH_TOKEN_MIN_LEN 16
/* Failed AUTH requests one connection may make; the last one's reply closes it. */
#define NEWSD_AUTH_MAX_FAILURES 3

/* ---- running as a service (newsd(8), "CONFIGURATION FILE", "SIGNALS") ---- */

/* The configuration file newsd reads when --config does not name one, in the folder
 * the build's sysconfdir names (make sysconfdir=..., default $(PREFIX)/etc). */
#define NEWSD_CONFIG_FILE_NAME "newsd.conf"
/* Longest line of a configuration file in bytes, its line end included: room for any
 * key and a path of PATH_MAX (4096) bytes. */
#define NEWSD_CONFIG_MAX_LINE 8192
/* Largest configuration file in bytes: a file of every key with long comments is some
 * 10 KiB; anything near this is not a configuration file. */
#define NEWSD_CONFIG_MAX_BYTES (1024 * 1024)
/* Mode a new log file (--log) is created with: the owner writes, the group (adm, say)
 * reads; the umask may take more away. */
#define NEWSD_LOG_FILE_MODE 0640
/* Mode a new pid file (--pidfile) is created with: anyone may read which process it is. */
#define NEWSD_PIDFILE_MODE 0644
/* Longest sd_notify datagram newsd sends (a few KEY=VALUE lines). */
#define NEWSD_NOTIFY_MAX_LEN 512

/* ---- client (newsq) ---- */

/* Seconds newsq waits to connect, and then for each reply, unless --timeout says otherwise. */
#define NEWSQ_DEFAULT_TIMEOUT_S 10
/* Largest --timeout accepted, in seconds. */
#define NEWSQ_MAX_TIMEOUT_S 86400
/* Longest reply line newsq reads: GET of the largest record (8 MiB) escaped in JSON. */
#define NEWSQ_MAX_REPLY_LINE (64u * 1024u * 1024u)
/* ADD requests newsq keeps in flight on its connection (newsq add): hides the round trip. */
#define NEWSQ_ADD_WINDOW 64
/* How often newsq reindex asks the daemon for the rebuild's progress (ms). */
#define NEWSQ_REINDEX_POLL_MS 500
/* Columns newsq prints its facet charts in when $COLUMNS is unset and stdout is no terminal. */
#define NEWSQ_DEFAULT_COLUMNS 80
/* Widest $COLUMNS newsq takes; wider is taken as this. */
#define NEWSQ_MAX_COLUMNS 1000
/* Narrowest room newsq leaves for a facet chart's bars, however narrow the terminal. */
#define NEWSQ_MIN_BAR_COLUMNS 10

#endif
