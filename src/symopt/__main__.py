from symopt.cli.main import main

main()
