import sys

from agentdeck.cli import main

sys.exit(main())
