from zhiben.cli.main import main

main()
