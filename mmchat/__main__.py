from mmchat.cli import main

raise SystemExit(main())
