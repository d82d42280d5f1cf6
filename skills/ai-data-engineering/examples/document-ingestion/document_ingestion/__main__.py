"""python -m document_ingestion ..."""

import sys

from document_ingestion.cli import main

sys.exit(main())
