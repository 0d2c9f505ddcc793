"""A synthetic Folio database grown in SQL: `growth_sql(posts)` brings one to that many posts.

Everything scales from the number of posts: one author per 100 posts (every tenth user), ten
users per 100 posts, a comment per two posts, 1,000 tags, and follows that favour popular
authors. Text comes from a made-up vocabulary drawn with a Zipf-like (log-uniform) law, so a
few words are in most posts and most words in few; every post also carries a code of its own.
Rows are made by generate_series in a handful of INSERT ... SELECT statements (no ORM), with
triggers and foreign-key checks off while they run. The search document is computed in the same
statement that writes each post (the per-post trigger function costs 180 us a row, 9 times the
inline expression), and the secondary indexes of the big tables are dropped before the load and
built once after it: at 100,000 posts the load takes 9 s instead of 13 s, and the gap grows with
the size, since a GIN index updated row by row stops fitting in memory.

Growing is incremental: run it for 1,000 posts, measure, then for 1,000,000. The statements
run in one session (temporary tables) as a superuser (session_replication_role). Generated
accounts have an unusable password hash; nobody signs in as them. Used by bench/scale/run.py
and by the Postgres tier's index tests.
"""

# SQL is built from integers and constants of this module only, never from outside input.
# ruff: noqa: S608

from __future__ import annotations

# Generated accounts start above this id, leaving room for real ones (the benchmark's admin).
USER_BASE = 1000
TAGS = 1000
WORDS = 5000
SENTENCES = 20000
SENTENCE_WORDS = 10
# Posts are two minutes apart from this moment on: a million posts span about four years.
EPOCH = "2021-01-01 00:00:00+00"
SYLLABLES = [
    "ka", "lo", "mi", "ren", "tas", "vor", "pel", "qui", "dor", "fen",
    "gal", "hu", "ist", "jor", "lum", "nak", "ost", "par", "rim", "sel",
    "tor", "ul", "ves", "wen", "xan", "yor", "zel", "bri", "cha", "dro",
]  # fmt: skip


def _each(column: str) -> str:
    """Run every statement saved in a column of the temporary table `rebuilt`."""
    return (
        f"DO $$ DECLARE s text; BEGIN FOR s IN SELECT {column} FROM rebuilt "
        "LOOP EXECUTE s; END LOOP; END $$"
    )


# The tables a growth fills; their secondary indexes and unique constraints (not primary keys,
# which foreign keys need) are dropped first and rebuilt from their saved definitions after.
GROWN_TABLES = ("users", "posts", "post_tags", "comments", "follows")
DROP_INDEXES = [
    f"""CREATE TEMP TABLE rebuilt AS
        SELECT 'ALTER TABLE ' || c.conrelid::regclass
                || ' DROP CONSTRAINT ' || quote_ident(c.conname) AS drop_sql,
            'ALTER TABLE ' || c.conrelid::regclass || ' ADD CONSTRAINT ' || quote_ident(c.conname)
                || ' ' || pg_get_constraintdef(c.oid) AS build_sql
        FROM pg_constraint c
        WHERE c.contype = 'u' AND c.conrelid::regclass::text IN {GROWN_TABLES}
        UNION ALL
        SELECT 'DROP INDEX ' || i.indexrelid::regclass, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid::regclass::text IN {GROWN_TABLES} AND NOT i.indisprimary
            AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
    _each("drop_sql"),
]
BUILD_INDEXES = [_each("build_sql")]


def scale(posts: int) -> dict[str, int]:
    return {
        "posts": posts,
        "users": max(10, posts // 10),
        "authors": max(1, posts // 100),
        "comments": posts // 2,
        "tags": TAGS,
    }


def word_sql(n: str) -> str:
    """The n-th made-up word (n from 0): two or three syllables, distinct for every n."""
    s = f"(ARRAY[{', '.join(repr(x) for x in SYLLABLES)}])"
    k = len(SYLLABLES)
    return (
        f"{s}[{n} % {k} + 1] || {s}[({n} / {k}) % {k} + 1] "
        f"|| CASE WHEN {n} >= {k * k} THEN {s}[({n} / {k * k}) % {k} + 1] ELSE '' END"
    )


def zipf_sql(n: int | str) -> str:
    """A number in [0, n) drawn log-uniformly: 0 is the commonest, n - 1 the rarest."""
    return f"(floor(power({n}::float8, random())) - 1)::int"


def growth_sql(posts: int) -> list[str]:
    """Statements growing the database to `posts` posts and everything that scales with them."""
    target = scale(posts)
    users, authors = target["users"], target["authors"]
    return [
        "SET session_replication_role = replica",
        "SET synchronous_commit = off",
        "SET maintenance_work_mem = '512MB'",
        *DROP_INDEXES,
        # Where the last growth stopped.
        f"""CREATE TEMP TABLE grown AS SELECT
            (SELECT coalesce(max(id), {USER_BASE}) - {USER_BASE} FROM users
              WHERE id > {USER_BASE}) AS users,
            (SELECT coalesce(max(id), 0) FROM posts) AS posts,
            (SELECT coalesce(max(id), 0) FROM comments) AS comments""",
        f"""CREATE TEMP TABLE words AS
            SELECT n, {word_sql("n")} AS word FROM generate_series(0, {WORDS - 1}) n""",
        "CREATE UNIQUE INDEX ON words (n)",
        f"""CREATE TEMP TABLE picks AS
            SELECT s, {zipf_sql(WORDS)} AS n, i
            FROM generate_series(1, {SENTENCES}) s, generate_series(1, {SENTENCE_WORDS}) i""",
        """CREATE TEMP TABLE sentences AS
            SELECT p.s, string_agg(w.word, ' ' ORDER BY p.i) || '.' AS sentence
            FROM picks p JOIN words w USING (n) GROUP BY p.s""",
        # Each sentence's search document once: a post's body document is the concatenation of
        # its sentences' (what to_tsvector of the whole body gives), so to_tsvector runs on
        # 20,000 sentences rather than on every body.
        "ALTER TABLE sentences ADD COLUMN document tsvector",
        "UPDATE sentences SET document = to_tsvector('english', sentence)",
        "CREATE UNIQUE INDEX ON sentences (s)",
        # Accounts: every tenth one is an author.
        f"""INSERT INTO users (id, username, email, password_hash, role, display_name,
                confirmed_at, active, session_version, created_at)
            SELECT {USER_BASE} + g, 'user' || g, 'user' || g || '@bench.example', '!',
                CASE WHEN g % 10 = 0 THEN 'author' ELSE 'reader' END,
                initcap({word_sql("g % " + str(WORDS))}) || ' ' || g,
                timestamptz '{EPOCH}' + g * interval '20 minutes', true, 1,
                timestamptz '{EPOCH}' + g * interval '20 minutes'
            FROM generate_series((SELECT users FROM grown) + 1, {users}) g""",
        # Tags are the first thousand words, so some search words are tag names too.
        f"""INSERT INTO tags (name, slug)
            SELECT initcap(word), word FROM words WHERE n < {TAGS}
            ON CONFLICT DO NOTHING""",
        f"""CREATE TEMP TABLE new_post_tags AS
            SELECT DISTINCT g AS post_id, t.id AS tag_id
            FROM generate_series((SELECT posts FROM grown) + 1, {posts}) g
            CROSS JOIN LATERAL (
                SELECT {zipf_sql(TAGS)} AS n FROM generate_series(1, 1 + (g % 3))
                WHERE g > 0
            ) pick
            JOIN words w ON w.n = pick.n JOIN tags t ON t.slug = w.word""",
        """CREATE TEMP TABLE new_tag_names AS
            SELECT pt.post_id, string_agg(t.name, ' ' ORDER BY t.id) AS names
            FROM new_post_tags pt JOIN tags t ON t.id = pt.tag_id GROUP BY pt.post_id""",
        "CREATE UNIQUE INDEX ON new_tag_names (post_id)",
        f"""CREATE TEMP TABLE new_posts AS
            SELECT g AS id,
                {USER_BASE} + 10 * (1 + {zipf_sql(authors)}) AS author_id,
                1 + (random() * {SENTENCES - 1})::int AS s1,
                1 + (random() * {SENTENCES - 1})::int AS s2,
                1 + (random() * {SENTENCES - 1})::int AS s3,
                {zipf_sql(WORDS)} AS t1, {zipf_sql(WORDS)} AS t2, {zipf_sql(WORDS)} AS t3,
                CASE WHEN g % 100 = 7 THEN 'draft' WHEN g % 100 = 57 THEN 'scheduled'
                     ELSE 'published' END AS status,
                timestamptz '{EPOCH}' + g * interval '2 minutes'
                    + random() * interval '90 seconds' AS at
            FROM generate_series((SELECT posts FROM grown) + 1, {posts}) g""",
        """INSERT INTO posts (id, author_id, title, slug, summary, body_markdown, body_html,
                status, publish_at, published_at, created_at, updated_at, search_vector)
            SELECT p.id, p.author_id, d.title, 'post-' || p.id, left(d.body, 120), d.body,
                '<p>' || d.body || '</p>', p.status,
                CASE WHEN p.status = 'scheduled' THEN timestamptz '2031-01-01 00:00:00+00' END,
                CASE WHEN p.status = 'published' THEN p.at END, p.at, p.at,
                -- folio_post_search_document(), inlined (the Postgres tier checks they agree).
                setweight(to_tsvector('english', d.title), 'A')
                || setweight(to_tsvector('english', coalesce(n.names, '')), 'B')
                || setweight(a.document || b.document || c.document
                    || to_tsvector('english', d.ref), 'C')
            FROM new_posts p
            JOIN words w1 ON w1.n = p.t1 JOIN words w2 ON w2.n = p.t2
            JOIN words w3 ON w3.n = p.t3
            JOIN sentences a ON a.s = p.s1 JOIN sentences b ON b.s = p.s2
            JOIN sentences c ON c.s = p.s3
            LEFT JOIN new_tag_names n ON n.post_id = p.id
            CROSS JOIN LATERAL (SELECT
                'Ref r' || to_hex(p.id::bigint * 40503 % 1048573) || '.' AS ref) r
            CROSS JOIN LATERAL (SELECT
                initcap(w1.word || ' ' || w2.word || ' ' || w3.word) AS title,
                a.sentence || ' ' || b.sentence || ' ' || c.sentence || ' ' || r.ref AS body,
                r.ref) d""",
        # In key order: the primary key index is kept during the load, and filled in order.
        """INSERT INTO post_tags (post_id, tag_id)
            SELECT post_id, tag_id FROM new_post_tags ORDER BY post_id, tag_id""",
        # A tenth of the comments go to a hundred recent posts, the rest anywhere.
        f"""INSERT INTO comments (id, post_id, author_id, body, created_at)
            SELECT g,
                CASE WHEN g % 10 = 0 THEN {posts} - (g / 10) % 100
                     ELSE 1 + (random() * ({posts} - 1))::int END,
                {USER_BASE} + 1 + (random() * ({users} - 1))::int,
                s.sentence, now() - random() * interval '300 days'
            FROM generate_series((SELECT comments FROM grown) + 1, {posts // 2}) g
            JOIN sentences s ON s.s = 1 + (g::bigint * 7919) % {SENTENCES}""",
        # Up to eight authors per new user, popular authors far more often.
        f"""INSERT INTO follows (follower_id, author_id, created_at)
            SELECT {USER_BASE} + g, {USER_BASE} + 10 * (1 + pick.a), now()
            FROM generate_series((SELECT users FROM grown) + 1, {users}) g
            CROSS JOIN LATERAL (
                SELECT {zipf_sql(authors)} AS a FROM generate_series(1, g % 9) WHERE g > 0
            ) pick
            WHERE {USER_BASE} + 10 * (1 + pick.a) <> {USER_BASE} + g
            ON CONFLICT DO NOTHING""",
        "SELECT setval('users_id_seq', (SELECT max(id) FROM users))",
        "SELECT setval('posts_id_seq', (SELECT max(id) FROM posts))",
        "SELECT setval('comments_id_seq', greatest(1, (SELECT max(id) FROM comments)))",
        "SELECT setval('tags_id_seq', (SELECT max(id) FROM tags))",
        *BUILD_INDEXES,
        "SET session_replication_role = DEFAULT",
        "DROP TABLE rebuilt, grown, words, picks, sentences, new_post_tags, new_tag_names,"
        " new_posts",
    ]


def word(n: int) -> str:
    """The n-th word of the vocabulary, as word_sql makes it in the database."""
    k = len(SYLLABLES)
    text = SYLLABLES[n % k] + SYLLABLES[(n // k) % k]
    return text + (SYLLABLES[(n // (k * k)) % k] if n >= k * k else "")
