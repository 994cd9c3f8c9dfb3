from contactcenter.agi.main import main

raise SystemExit(main())
