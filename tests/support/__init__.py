"""What the tests share: the services they run on (env), driving the API as a scanner and reviewers (api), the
worker (worker), a database insider (db), a Redis of a test's own (redis_server), shared test data (data)."""
