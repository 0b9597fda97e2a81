from statusstream.cli import main

main()
