"""The Message Batches API as an Observable: 100,000 requests at half the price.

```python
from anthropic_rx.batches import run_batch, attach, run_requests

requests = {f"q{i}": {"model": MODEL, "max_tokens": 256,
                      "messages": [{"role": "user", "content": q}]}
            for i, q in enumerate(questions)}
with arx.Client() as client:
    run = run_batch(client, requests)             # checked now; sent when it starts
    run.progress().subscribe(lambda p: print(p.processing_status, p.request_counts))
    for item in run.results().pipe(ops.to_list()).run():
        print(item.key, item.value)               # a Message, or a BatchRequestError
```

| name | what it does |
| --- | --- |
| ``client.messages.batches`` | the API: create, retrieve, list, cancel, delete, results |
| `run_batch(client, requests)` | a hot `BatchRun`: progress, then ``Tagged(custom_id, …)`` |
| `attach(client, batch_ids)` | the same run for batches that exist (after a restart) |
| `run_requests(client, requests, via=…)` | ``Tagged(key, Message or error)``, either way |
| `split_batches(requests)` | the check and the split `run_batch` does, by itself |
| `show_progress(run)` | a rich progress bar in the terminal (the ``demo`` extra) |
| `notebook_progress(run)` | a progress bar in a Jupyter cell, updated in place |

What a run promises:

- **Checked before sending.** An empty mapping, a duplicated or invalid ``custom_id``,
  bad params or a request larger than a batch is a `BatchInputError` at the call.
- **Split and merged.** More than 100,000 requests or 256 MB become several batches;
  progress adds them up and results come from each as it ends.
- **Polite polling.** The first poll after ``poll_interval`` (1 s), then 1.5 times longer
  each time nothing changed, at most ``max_poll_interval`` (60 s): about 60 requests per
  batch-hour once it has settled. A 429 is waited out (``retry-after``), never fatal.
- **Constant memory.** The results file is read one line at a time and nothing is kept:
  memory does not grow with the batch. A line that cannot be read is a
  `BatchResultUnreadableError` for its ``custom_id``; a connection broken mid-file is
  resumed where it broke.
- **Typed results.** A `Message` (the class a stream's ``final_message()`` gives), or a
  `BatchRequestFailedError` (``.error``: the typed API error), `BatchRequestCanceledError`,
  `BatchRequestExpiredError`.
- **Abort, detach, attach.** ``abort()`` cancels on the server and still delivers what was
  done; disposing the last subscriber only stops watching; ``attach(client, run.batch_ids)``
  picks the batches up again after a restart.
"""

from __future__ import annotations

from ..client import MAX_BATCH_BYTES as MAX_BATCH_BYTES
from ..client import MAX_BATCH_REQUESTS as MAX_BATCH_REQUESTS
from ..client import AsyncBatches as AsyncBatches
from ..client import Batches as Batches
from ..client import BatchInputError as BatchInputError
from ..client import BatchRequestCanceledError as BatchRequestCanceledError
from ..client import BatchRequestError as BatchRequestError
from ..client import BatchRequestExpiredError as BatchRequestExpiredError
from ..client import BatchRequestFailedError as BatchRequestFailedError
from ..client import BatchResultUnreadableError as BatchResultUnreadableError
from ..client import DeletedMessageBatch as DeletedMessageBatch
from ..client import MessageBatch as MessageBatch
from ..client import MessageBatchCanceledResult as MessageBatchCanceledResult
from ..client import MessageBatchErroredResult as MessageBatchErroredResult
from ..client import MessageBatchExpiredResult as MessageBatchExpiredResult
from ..client import MessageBatchIndividualResponse as MessageBatchIndividualResponse
from ..client import MessageBatchRequestCounts as MessageBatchRequestCounts
from ..client import MessageBatchResult as MessageBatchResult
from ..client import MessageBatchSucceededResult as MessageBatchSucceededResult
from ..client import MessageBatchUnreadableResult as MessageBatchUnreadableResult
from ..client import outcome_of as outcome_of
from ..client import split_batches as split_batches
from ._functions import attach as attach
from ._functions import run_batch as run_batch
from ._functions import run_requests as run_requests
from ._progress import notebook_progress as notebook_progress
from ._progress import show_progress as show_progress
from ._run import BatchRun as BatchRun
from ._state import BatchItem as BatchItem
from ._state import BatchProgress as BatchProgress
from ._state import BatchResult as BatchResult

__all__ = [
    "AsyncBatches",
    "BatchInputError",
    "BatchItem",
    "BatchProgress",
    "BatchRequestCanceledError",
    "BatchRequestError",
    "BatchRequestExpiredError",
    "BatchRequestFailedError",
    "BatchResult",
    "BatchResultUnreadableError",
    "BatchRun",
    "Batches",
    "DeletedMessageBatch",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_REQUESTS",
    "MessageBatch",
    "MessageBatchCanceledResult",
    "MessageBatchErroredResult",
    "MessageBatchExpiredResult",
    "MessageBatchIndividualResponse",
    "MessageBatchRequestCounts",
    "MessageBatchResult",
    "MessageBatchSucceededResult",
    "MessageBatchUnreadableResult",
    "attach",
    "notebook_progress",
    "outcome_of",
    "run_batch",
    "run_requests",
    "show_progress",
    "split_batches",
]

for _cls in (
    BatchInputError,
    BatchRequestCanceledError,
    BatchRequestError,
    BatchRequestExpiredError,
    BatchRequestFailedError,
    BatchResultUnreadableError,
    BatchRun,
    Batches,
    AsyncBatches,
    BatchProgress,
):
    _cls.__module__ = __name__  # reprs and docs show the public path
del _cls
