from glutemed.cli.app import main

main()
