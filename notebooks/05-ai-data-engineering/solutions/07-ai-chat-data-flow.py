# Solutions to the exercises of 07-ai-chat-data-flow.ipynb. Each block replaces the whole
# exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: withdraw a document
WITHDRAW_QUESTION = "How do I store passwords safely?"
removed = chat.ask(WITHDRAW_QUESTION).citations[0].path
(library / removed).unlink()
report = pipeline.ingest(library)
