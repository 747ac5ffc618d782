// Package jobs is tracemark's background job queue on NATS JetStream: every
// new exhibit is correlated through it, and other long work can be.
//
// # Modes
//
// Embedded (Config.URL empty, the default): Open starts a nats-server in the
// process with JetStream file storage in Config.DataDir (for example
// DATA/nats; an advisory lock file there keeps a second process out on
// Unix). The owning process talks to it in-process, without TCP. With
// Config.ListenAddr set to a loopback host:port (port 0 picks one), the server
// also accepts worker processes of the same machine: Queue.URL returns the
// client URL and Open writes it to DataDir/client.url (URLFile), where
// ReadURL finds it. A worker process then opens Config{URL: url}. The
// embedded server has no authentication, so only loopback addresses are
// accepted.
//
// External (Config.URL set): Open connects to a NATS server or cluster, for
// example "nats://n1:4222,nats://n2:4222,nats://n3:4222", with
// Config.ConnectOptions for credentials or TLS (nats.UserCredentials,
// nats.RootCAs, ...). A worker machine needs only that URL and its
// credentials; set Config.Replicas to 3 on a 3-node cluster so that the
// streams survive the loss of a node. All processes must use the same
// Stream, SubjectPrefix and delivery settings. A worker process, on this
// machine or another, is then:
//
//	url, err := jobs.ReadURL("DATA/nats") // same machine; or the cluster's URL
//	q, err := jobs.Open(ctx, jobs.Config{URL: url})
//	defer q.Close()
//	err = q.Work(ctx, "correlate", runtime.NumCPU(), correlate) // one slot per core for CPU-bound jobs
//
// # Names
//
// With the defaults (Stream "JOBS", SubjectPrefix "jobs"):
//
//	stream JOBS        subjects jobs.queue.<kind>  work-queue retention, file storage
//	stream JOBS_DEAD   subjects jobs.dead.<kind>   limits retention, kept until deleted
//	consumer work_<kind> on JOBS                   durable pull consumer, explicit acks
//	core NATS jobs.rpc.<name>, queue group "responders": request-reply
//	                                               (Respond, Request), not stored
//
// A kind is 1-64 letters, digits, '_' or '-' ("correlate"). The dedupID
// travels as Nats-Msg-Id "<kind>/<dedupID>" and as header Tracemark-Job-Id;
// a dead letter carries the original payload and the headers
// Tracemark-Dead-Error, Tracemark-Dead-Attempts, Tracemark-Dead-Seq and
// Tracemark-Dead-Enqueued; Queue.DeadJobs lists them.
//
// # Delivery semantics
//
// Delivery is at least once; handlers must be idempotent (for example
// "replace the candidate list of exhibit E", not "append to it").
//   - Enqueue returns after JetStream stored the job; it then survives a
//     crash (kill -9) of any process. Config.SyncAlways extends that to power
//     loss.
//   - All workers of a kind, in every process, pull from one durable consumer,
//     so each delivery goes to exactly one worker; a worker pulls only as many
//     jobs as it has free slots.
//   - A handler returning nil acks the job, and the ack is confirmed by the
//     server (double ack) before the slot is reused; the job is then gone
//     from the stream. A job can still run twice if the worker dies between
//     finishing the handler and the ack, or if the ack is lost.
//   - A handler error retries the job after Config.Backoff, up to
//     Config.MaxDeliver attempts; then the job is copied to the dead-letter
//     subject, removed from the queue, logged and reported to Config.OnDead.
//     Permanent(err) dead-letters at once. A panic counts as an error.
//   - While a handler runs, its worker sends progress heartbeats every
//     AckWait/3; if the worker dies, JetStream redelivers the job to another
//     worker after Config.AckWait. A job whose last attempt died this way is
//     dead-lettered on its next delivery, without running.
//   - Dedup: a repeated (kind, dedupID) within Config.DedupWindow (2 minutes
//     by default) is dropped even if the first job already ran; after the
//     window it is a new job. The server keeps the ID of every job enqueued
//     in the window in memory (about 150 bytes each; jobs without a dedupID
//     get a random one so that Enqueue can retry safely), so keep the window
//     short and rely on idempotent handlers for anything longer.
//   - There is no ordering guarantee between jobs.
//   - Job.Attempt is counted by the server's consumer state, which is saved
//     asynchronously: after a crash of the server itself, jobs that were in
//     flight come back as attempt 1 (they do come back).
//   - At most 1000 jobs of a kind are in flight at once across all workers
//     (the JetStream consumer's default MaxAckPending).
//
// # Shutdown
//
// Cancelling the context of Work (or Close) stops pulling and waits up to
// Config.ShutdownTimeout for running handlers, then cancels their contexts;
// a job that ends because of that is released for immediate redelivery and
// counts as an attempt. A handler that ignores its context holds Work (and
// Close) until it returns. Close waits for all Work calls, closes the
// connection and shuts the embedded server down, leaving no goroutine behind.
package jobs
