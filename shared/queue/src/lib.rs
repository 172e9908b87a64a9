//! `oms-queue`: the snapshot-sync queue behind the [`EventQueue`] port.
//!
//! * [`SqsQueue`] publishes to an SQS FIFO queue (AWS, or moto locally); [`client_from_env`]
//!   builds the SQS client once per process with the ring-based HTTP client.
//! * [`InProcessQueue`] is the queue of `oms serve`: in memory, ordered per message group,
//!   bounded retries with backoff, an inspectable dead-letter list, dedupe within a window;
//!   durable with a [`Journal`] (the embedded store's file in `oms serve`).
//! * [`process_batch`] is the Lambda side: it runs a handler over an SQS event and builds the
//!   `batchItemFailures` response under the FIFO partial-failure rule.
//!
//! Both consumers hand the handler the same owned [`ReceivedMessage`], so one handler function
//! serves the Lambda and `oms serve`. See `docs/queues.md` for the topology and settings.
//!
//! [`EventQueue`]: oms_application::ports::EventQueue

pub mod batch;
pub mod journal;
pub mod memory;
pub mod message;
pub mod sqs;

pub mod mapping;

pub use batch::{process_batch, LastReceives};
pub use journal::{Journal, JournalEntry};
pub use mapping::lambda_event;
pub use memory::{DeadLetter, InProcessConfig, InProcessQueue};
pub use message::{ReceivedMessage, RecordError};
pub use sqs::{
    client_from_env, deduplication_id, message_group_id, message_size, RetryPolicy, SqsQueue,
    MAX_MESSAGE_BYTES,
};
