import sys

from pica.cli import main

sys.exit(main())
